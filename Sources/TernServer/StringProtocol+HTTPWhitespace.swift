extension StringProtocol {
    /// Without the spaces and tabs around it (HTTP's optional whitespace), without Foundation's character sets: this
    /// runs on every request's headers.
    var trimmingHTTPWhitespace: SubSequence {
        let isText = { (character: Character) in character != " " && character != "\t" }
        guard let first = firstIndex(where: isText), let last = lastIndex(where: isText) else { return self[endIndex...] }
        return self[first...last]
    }
}
