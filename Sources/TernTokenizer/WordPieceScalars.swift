import Foundation

/// What llama.cpp's WordPiece normalizer does with each scalar: its kind, lowercase and accent-stripped form.
///
/// llama.cpp reads these from its own tables (`unicode-data.cpp`), generated from Unicode 15.1. Scalars assigned later
/// are unassigned there (kept as they are, no case, no decomposition), so they are here too. Built with Foundation, these
/// tables were compared with llama.cpp's on all 1,114,112 code points (kind, lowercase, decomposition) and agreed;
/// `WordPieceTests` checks that the decomposition scan misses nothing.
enum WordPieceScalars {
    /// What the normalizer does with a scalar.
    enum Kind: UInt8 {
        /// Part of the current word.
        case plain
        /// Ends the current word (Unicode's White_Space).
        case whitespace
        /// Dropped: NUL, U+FFFD and `\p{C}` (controls, format characters such as ZWJ, private use).
        case ignored
        /// `\p{M}`: dropped when accents are stripped, else part of the word.
        case mark
        /// A word of its own: punctuation, ASCII symbols and CJK ideographs.
        case isolated
    }

    /// The kind of every scalar below ``tableEnd``, where nearly all text lives.
    private static let kinds: [Kind] = (0..<tableEnd).map(computeKind)

    /// Builds the tables now (tens of milliseconds), when the model loads, rather than in its first request.
    static func prepare() {
        _ = kinds.count + lowercases.count + decompositions.count
    }
    private static let tableEnd: UInt32 = 0x30000

    /// Simple lowercase mappings (UnicodeData's, one scalar to one: `İ` → `i`), of scalars that have one.
    private static let lowercases: [UInt32: UInt32] = {
        var map: [UInt32: UInt32] = [:]
        // No scalar at or past U+20000 has a lowercase form.
        for value in UInt32(0x80)..<0x20000 {
            guard let scalar = Unicode.Scalar(value), isKnown(scalar), scalar.properties.changesWhenLowercased else { continue }
            // The full mapping is the simple one except for `İ` (`i` + U+0307), whose simple mapping is its first scalar.
            if let first = scalar.properties.lowercaseMapping.unicodeScalars.first, first.value != value { map[value] = first.value }
        }
        return map
    }()

    /// The first scalar of the canonical decomposition (NFD), of scalars that have one.
    private static let decompositions: [UInt32: UInt32] = {
        var map: [UInt32: UInt32] = [:]
        for range in decomposingRanges {
            for value in range {
                guard let scalar = Unicode.Scalar(value), isKnown(scalar) else { continue }
                // Hangul syllables decompose by formula: the first is the leading consonant.
                if hangulSyllables.contains(value) {
                    map[value] = 0x1100 + (value - hangulSyllables.lowerBound) / 588
                    continue
                }
                let first = String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars.first?.value ?? value
                if first != value { map[value] = first }
            }
        }
        return map
    }()

    private static let hangulSyllables: ClosedRange<UInt32> = 0xAC00...0xD7A3

    /// Every Unicode 15.1 scalar with a canonical decomposition lies in these ranges (so the rest need not be asked).
    static let decomposingRanges: [ClosedRange<UInt32>] = [
        0xC0...0x6D3, 0x929...0x1026, 0x1B06...0x1B43, 0x1E00...0x232A, 0x2ADC...0x2ADC, 0x304C...0x30FE, 0xAC00...0xD7A3,
        0xF900...0xFB4E, 0x1109A...0x1112F, 0x1134B...0x115BB, 0x11938...0x11938, 0x1D15E...0x1D1C0, 0x2F800...0x2FA1D,
    ]

    /// The kind of scalar `value`.
    @inline(__always)
    static func kind(of value: UInt32) -> Kind {
        value < tableEnd ? kinds[Int(value)] : computeKind(value)
    }

    /// The simple lowercase form of `value` (itself when it has none).
    @inline(__always)
    static func lowercase(_ value: UInt32) -> UInt32 {
        if value < 0x80 { return (0x41...0x5A).contains(value) ? value + 0x20 : value }
        return lowercases[value] ?? value
    }

    /// The first scalar of the canonical decomposition of `value`: `é` becomes `e` (llama.cpp's accent stripping keeps
    /// only that scalar, so Hangul syllables become their leading consonant).
    @inline(__always)
    static func stripAccent(_ value: UInt32) -> UInt32 {
        value < 0xC0 ? value : decompositions[value] ?? value
    }

    /// Whether llama.cpp's tables know the scalar: assigned by Unicode 15.1.
    static func isKnown(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return (age.major, age.minor) <= (15, 1)
    }

    /// llama.cpp's whitespace: Unicode's White_Space property.
    private static func isWhitespace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// llama.cpp's `is_chinese_char`, as BERT's tokenizer defines it (a range of the extensions starts at U+2B920, not
    /// U+2B820, following Hugging Face's code).
    private static func isCJKIdeograph(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F, 0x2B920...0x2CEAF,
            0xF900...0xFAFF, 0x2F800...0x2FA1F:
            true
        default: false
        }
    }

    private static func computeKind(_ value: UInt32) -> Kind {
        if isWhitespace(value) { return .whitespace }
        if value == 0 || value == 0xFFFD { return .ignored }
        if isCJKIdeograph(value) { return .isolated }
        guard let scalar = Unicode.Scalar(value) else { return .ignored }  // A surrogate: `\p{C}`.
        guard isKnown(scalar) else { return .plain }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return .ignored
        case .nonspacingMark, .spacingMark, .enclosingMark: return .mark
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return .isolated
        // Only ASCII symbols (`$`, `+`, `<`, `^`, `` ` ``, `|`, `~`…) stand alone; `€` or `😀` stay in their word.
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: return value < 0x7F ? .isolated : .plain
        default: return .plain
        }
    }
}
