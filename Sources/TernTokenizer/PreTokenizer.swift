/// Splits text into words before BPE merges run, as llama.cpp does for each `tokenizer.ggml.pre` value.
///
/// A pre-tokenizer is a list of passes; each pass refines the pieces of the previous one (llama.cpp's list of regexes,
/// applied in order). The passes are written by hand over Unicode scalars with their general categories.
struct PreTokenizer: Sendable {
    /// One splitting step.
    enum Pass: Sendable, Equatable {
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
        case gpt2
        /// `\p{N}`: every number scalar becomes a piece of its own.
        case isolateNumbers
    }

    /// The `tokenizer.ggml.pre` name this was built from.
    let name: String
    /// The passes, applied in order.
    let passes: [Pass]

    /// The pre-tokenizer llama.cpp uses for `name`.
    init(name: String) throws(TokenizerError) {
        self.name = name
        switch name {
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b":
            passes = [.isolateNumbers, .gpt2]
        case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de", "jina-v2-code",
            "roberta-bpe":
            passes = [.gpt2]
        default:
            throw TokenizerError(.unsupportedPreTokenizer, "unsupported pre-tokenizer '\(name)'")
        }
    }

    /// Byte ranges of the words of `bytes`, which must be valid UTF-8; the ranges cover the input in order.
    func split(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        let text = ScalarText(bytes)
        var pieces = text.count > 0 ? [0..<text.count] : []
        for pass in passes {
            var refined: [Range<Int>] = []
            refined.reserveCapacity(pieces.count * 2)
            for piece in pieces {
                switch pass {
                case .gpt2: text.splitGPT2(piece, into: &refined)
                case .isolateNumbers: text.isolateNumbers(piece, into: &refined)
                }
            }
            pieces = refined
        }
        return pieces.map { text.byteOffsets[$0.lowerBound]..<text.byteOffsets[$0.upperBound] }
    }
}

/// The scalars of a UTF-8 text with their regex classes and byte offsets.
struct ScalarText {
    /// What the pre-tokenizer regexes distinguish.
    enum Class: UInt8 {
        case letter, number, whitespace, other
    }

    /// Scalar values.
    var values: [UInt32] = []
    /// The class of each scalar.
    var classes: [Class] = []
    /// The byte offset where each scalar starts, plus the total byte count at the end.
    var byteOffsets: [Int] = []

    var count: Int { values.count }

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        values.reserveCapacity(bytes.count)
        classes.reserveCapacity(bytes.count)
        byteOffsets.reserveCapacity(bytes.count + 1)
        var index = 0
        while index < bytes.count {
            byteOffsets.append(index)
            let lead = UInt32(bytes[index])
            var value: UInt32
            var length: Int
            switch lead {
            case 0..<0x80: (value, length) = (lead, 1)
            case 0xC0..<0xE0: (value, length) = (lead & 0x1F, 2)
            case 0xE0..<0xF0: (value, length) = (lead & 0x0F, 3)
            default: (value, length) = (lead & 0x07, 4)
            }
            for offset in 1..<max(length, 1) where index + offset < bytes.count {
                value = value << 6 | UInt32(bytes[index + offset] & 0x3F)
            }
            index += length
            values.append(value)
            classes.append(Self.classify(value))
        }
        byteOffsets.append(bytes.count)
    }

    private static let asciiClasses: [Class] = (0..<128).map { classifySlow(UInt32($0)) }

    static func classify(_ value: UInt32) -> Class {
        value < 128 ? asciiClasses[Int(value)] : classifySlow(value)
    }

    private static func classifySlow(_ value: UInt32) -> Class {
        guard let scalar = Unicode.Scalar(value) else { return .other }
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }
}
