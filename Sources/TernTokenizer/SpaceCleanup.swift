/// llama.cpp's `clean_up_tokenization_spaces` for decoded text, which WordPiece vocabularies turn on: WordPiece puts a
/// space before every word, punctuation included, and this takes some of those spaces away again.
///
/// Three passes over the bytes, exactly as `llama_vocab::impl::detokenize` makes them: the space before `?`, `!`, `.`
/// and `,` goes; a lone `'` between two spaces loses both; the space before `'s`, `'m`, `'re` and `'ve` goes (not
/// before `'t`, `'d` or `'ll`).
enum SpaceCleanup {
    private static let space = UInt8(ascii: " ")
    private static let apostrophe = UInt8(ascii: "'")

    /// Cleans `text` in place.
    static func apply(to text: inout [UInt8]) {
        guard text.count > 1 else { return }
        let total = text.withUnsafeMutableBufferPointer { buffer in
            contractions(buffer, loneApostrophes(buffer, spaceBeforePunctuation(buffer, buffer.count)))
        }
        text.removeSubrange(total...)
    }

    /// `" ?"`, `" !"`, `" ."`, `" ,"` lose their space. Each pass rewrites the first `count` bytes in place, returning
    /// the new count; like llama.cpp's, it reads the bytes it may already have rewritten.
    private static func spaceBeforePunctuation(_ text: UnsafeMutableBufferPointer<UInt8>, _ count: Int) -> Int {
        var total = min(count, 1)
        for index in 1..<max(count, 1) {
            let byte = text[index]
            if text[index - 1] == space && "?!.,".utf8.contains(byte) { total -= 1 }
            text[total] = byte
            total += 1
        }
        return total
    }

    /// `" ' "` becomes `"'"`.
    private static func loneApostrophes(_ text: UnsafeMutableBufferPointer<UInt8>, _ count: Int) -> Int {
        var total = min(count, 1)
        var index = 1
        while index < count {
            let byte = text[index]
            if byte == apostrophe && index + 1 < count && text[index - 1] == space && text[index + 1] == space {
                total -= 1
                index += 1
                text[index] = 0  // The space after, skipped; llama.cpp marks it so that it is no longer a space.
            }
            text[total] = byte
            total += 1
            index += 1
        }
        return total
    }

    /// `" 's"`, `" 'm"`, `" 're"` and `" 've"` lose their space.
    private static func contractions(_ text: UnsafeMutableBufferPointer<UInt8>, _ count: Int) -> Int {
        var total = min(count, 1)
        for index in 1..<max(count, 1) {
            let byte = text[index]
            if text[index - 1] == space && byte == apostrophe && index + 1 < count {
                let next = text[index + 1]
                if next == UInt8(ascii: "s") || next == UInt8(ascii: "m") {
                    total -= 1
                } else if index + 2 < count, next == UInt8(ascii: "r") || next == UInt8(ascii: "v"),
                    text[index + 2] == UInt8(ascii: "e")
                {
                    total -= 1
                }
            }
            text[total] = byte
            total += 1
        }
        return total
    }
}
