/// What the answer parsers hold back from text that arrives in pieces: the end that may begin a marker, and trailing
/// whitespace that may turn out not to belong to the part it follows.
enum MarkedText {
    /// `buffer` split into what can go out now and its longest end that could be the start of `marker`.
    static func releasable(_ buffer: String, before marker: String) -> (release: String, hold: String) {
        var keep = min(buffer.count, marker.count - 1)
        while keep > 0 && !marker.hasPrefix(buffer.suffix(keep)) { keep -= 1 }
        return (String(buffer.dropLast(keep)), String(buffer.suffix(keep)))
    }

    /// `text` split before its trailing whitespace; `nil` when it is all whitespace.
    static func trailingWhitespace(_ text: String) -> (body: String, space: String)? {
        guard let last = text.lastIndex(where: { !$0.isWhitespace }) else { return nil }
        let end = text.index(after: last)
        return (String(text[..<end]), String(text[end...]))
    }
}
