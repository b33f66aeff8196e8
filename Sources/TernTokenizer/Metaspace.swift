/// SentencePiece's way of writing spaces: `▁` (U+2581) in token texts stands for a space of the text.
enum Metaspace {
    /// The UTF-8 of `▁`.
    static let bytes: [UInt8] = [0xE2, 0x96, 0x81]

    /// `text` with every space written as `▁`, after one more `▁` when `prefix`.
    static func escape(_ text: UnsafeBufferPointer<UInt8>, prefix: Bool) -> [UInt8] {
        var escaped: [UInt8] = prefix ? bytes : []
        escaped.reserveCapacity(text.count + 8)
        for byte in text {
            if byte == 0x20 { escaped.append(contentsOf: bytes) } else { escaped.append(byte) }
        }
        return escaped
    }

    /// The bytes of `text` with every `▁` turned back into a space.
    static func unescape(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            if utf8[index] == 0xE2 && utf8[index...].starts(with: bytes) {
                out.append(0x20)
                index += 3
            } else {
                out.append(utf8[index])
                index += 1
            }
        }
        return out
    }
}
