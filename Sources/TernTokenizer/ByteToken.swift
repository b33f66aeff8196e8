/// The `<0xXX>` tokens with which SentencePiece-style vocabularies spell single bytes.
enum ByteToken {
    /// The token text for `byte`, with upper-case hex digits as llama.cpp looks it up.
    static func text(_ byte: UInt8) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        return String(decoding: [0x3C, 0x30, 0x78, hex[Int(byte >> 4)], hex[Int(byte & 15)], 0x3E], as: UTF8.self)
    }

    /// The byte a `<0xXX>` token stands for, or `nil` for other text.
    static func byte(_ text: String) -> UInt8? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 6, utf8.starts(with: Array("<0x".utf8)), utf8[5] == 0x3E else { return nil }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }
}
