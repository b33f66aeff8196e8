/// The scalars of a UTF-8 text with their byte offsets and the code the split patterns match them by.
///
/// A scalar's code is what llama.cpp's pre-tokenizer regexes see of it: an ASCII scalar is itself; every other
/// whitespace scalar is U+000B (llama.cpp hands `std::regex` a vertical tab for it, which `\s` matches); any other
/// scalar is one of six category codes (`0x80` + ``Category``), since llama.cpp collapses non-ASCII text to one byte
/// per category before running a regex that uses `\p{…}`.
struct ScalarText {
    /// The categories the split patterns tell apart; everything else (separators, controls, unassigned) is `other`.
    enum Category: UInt8, CaseIterable {
        case other, number, letter, punctuation, mark, symbol

        /// The code of a non-ASCII, non-whitespace scalar of this category.
        var code: UInt8 { 0x80 | rawValue }
    }

    /// The code non-ASCII whitespace takes.
    static let whitespaceCode: UInt8 = 0x0B

    /// Scalar values.
    var values: [UInt32] = []
    /// The code of each scalar.
    var codes: [UInt8] = []
    /// The byte offset where each scalar starts, plus the total byte count at the end.
    var byteOffsets: [Int] = []

    var count: Int { values.count }

    /// Decodes `bytes`, which should be UTF-8; a malformed sequence still yields one scalar per lead byte.
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        values.reserveCapacity(bytes.count)
        codes.reserveCapacity(bytes.count)
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
            codes.append(Self.code(of: value))
        }
        byteOffsets.append(bytes.count)
    }

    /// The code of a scalar value.
    static func code(of value: UInt32) -> UInt8 {
        if value < 0x80 { return UInt8(value) }
        return value < UInt32(tableCodes.count) ? tableCodes[Int(value)] : computeCode(value)
    }

    /// Codes of the first three planes (where nearly all text lives), computed once.
    private static let tableCodes: [UInt8] = (0..<UInt32(0x30000)).map(computeCode)

    /// llama.cpp's whitespace besides ASCII's `\t \n \v \f \r` and space: Unicode's White_Space property.
    private static func isWhitespace(_ value: UInt32) -> Bool {
        switch value {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    private static func computeCode(_ value: UInt32) -> UInt8 {
        if value < 0x80 { return UInt8(value) }
        if isWhitespace(value) { return whitespaceCode }
        return category(of: value).code
    }

    /// The category in llama.cpp's Unicode tables, which are Unicode 15.1: scalars assigned later count as unassigned.
    static func category(of value: UInt32) -> Category {
        guard let scalar = Unicode.Scalar(value), let age = scalar.properties.age, (age.major, age.minor) <= (15, 1) else {
            return .other
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return .punctuation
        case .nonspacingMark, .spacingMark, .enclosingMark: return .mark
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: return .symbol
        default: return .other
        }
    }
}
