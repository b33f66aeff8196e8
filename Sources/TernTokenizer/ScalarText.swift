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
