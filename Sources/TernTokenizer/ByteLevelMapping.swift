/// GPT-2's reversible map between bytes and printable Unicode scalars.
///
/// Byte-level BPE vocabularies store every token as text in which each byte of the real text is one scalar: printable
/// Latin-1 bytes stand for themselves, the other 68 bytes (controls, space, DEL, NBSP, soft hyphen) are shifted to
/// U+0100 and up, in byte order. So `Ġ` (U+0120) is a space and `Ċ` (U+010A) is a newline.
enum ByteLevelMapping {
    /// The scalar that stands for each byte.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var shifted: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(shifted)!
                shifted += 1
            }
        }
        return table
    }()

    /// The byte a scalar stands for, or `nil` for scalars outside the mapping.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 { return isPrintable(UInt8(value)) ? UInt8(value) : nil }
        return value < 256 + 68 ? byteForShifted[Int(value - 256)] : nil
    }

    /// Bytes whose scalar is themselves.
    private static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// Inverse for U+0100 ..< U+0144.
    private static let byteForShifted: [UInt8] = (0..<256).map(UInt8.init).filter { !isPrintable($0) }

    /// The vocabulary-form text of raw bytes.
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(scalarForByte[Int(byte)]) }
        return String(scalars)
    }

    /// The raw bytes of vocabulary-form text, or `nil` if a scalar is outside the mapping.
    static func decodeExactly(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    /// The raw bytes of vocabulary-form text; a scalar outside the mapping is kept as its own UTF-8.
    static func decode(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let byte = byte(for: scalar) {
                bytes.append(byte)
            } else {
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        return bytes
    }
}
