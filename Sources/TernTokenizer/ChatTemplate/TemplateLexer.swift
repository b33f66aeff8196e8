/// Splits a template into tokens, applying Jinja2's whitespace control (`-`/`+` markers, `trim_blocks`,
/// `lstrip_blocks`) and passing `{% raw %}` bodies through as text.
struct TemplateLexer {
    let chars: [Unicode.Scalar]
    let trimBlocks: Bool
    let lstripBlocks: Bool
    var pos = 0
    var line = 1
    var column = 1
    var tokens: [TemplateToken] = []

    init(source: String, trimBlocks: Bool, lstripBlocks: Bool, keepTrailingNewline: Bool) {
        // Jinja2 normalizes newlines and, by default, drops one trailing newline of the source.
        var text = source.replacingCRLF()
        if !keepTrailingNewline, text.unicodeScalars.last == "\n" { text.unicodeScalars.removeLast() }
        chars = Array(text.unicodeScalars)
        self.trimBlocks = trimBlocks
        self.lstripBlocks = lstripBlocks
    }

    static func tokenize(_ source: String, options: ChatTemplate.Options) throws(ChatTemplateError) -> [TemplateToken] {
        var lexer = TemplateLexer(
            source: source, trimBlocks: options.trimBlocks, lstripBlocks: options.lstripBlocks,
            keepTrailingNewline: options.keepTrailingNewline)
        try lexer.run()
        return lexer.tokens
    }

    func at(_ offset: Int) -> Unicode.Scalar? {
        pos + offset < chars.count ? chars[pos + offset] : nil
    }

    mutating func advance(_ count: Int = 1) {
        for _ in 0..<count where pos < chars.count {
            if chars[pos] == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            pos += 1
        }
    }

    func error(_ message: String) -> ChatTemplateError {
        ChatTemplateError(.syntax, message, line: line, column: column)
    }

    mutating func run() throws(ChatTemplateError) {
        while pos < chars.count {
            let textStart = pos
            let (textLine, textColumn) = (line, column)
            while pos < chars.count, !(chars[pos] == "{" && ["{", "%", "#"].contains(at(1))) { advance() }
            var text = Array(chars[textStart..<pos])
            guard pos < chars.count else {
                emitText(text, line: textLine, column: textColumn)
                break
            }
            let kind = chars[pos + 1]
            let marker = at(2)
            if marker == "-" {
                while let last = text.last, last.properties.isWhitespace { text.removeLast() }
            } else if marker != "+", lstripBlocks, kind != "{" {
                text = Self.lstrip(text, lineStarting: textStart == 0 || chars[textStart - 1] == "\n")
            }
            emitText(text, line: textLine, column: textColumn)
            let hasMarker = marker == "-" || marker == "+"
            switch kind {
            case "#": try skipComment(hasMarker: hasMarker)
            case "%":
                if try !lexRaw(hasMarker: hasMarker) { try lexTag(block: true, hasMarker: hasMarker) }
            default: try lexTag(block: false, hasMarker: hasMarker)
            }
        }
        tokens.append(TemplateToken(kind: .endOfInput, line: line, column: column))
    }

    /// `lstrip_blocks`: drop spaces and tabs between the last newline and a block or comment tag.
    static func lstrip(_ text: [Unicode.Scalar], lineStarting: Bool) -> [Unicode.Scalar] {
        let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
        guard lineStart > 0 || lineStarting, lineStart < text.count else { return text }
        guard text[lineStart...].allSatisfy({ $0.properties.isWhitespace }) else { return text }
        return Array(text[..<lineStart])
    }

    mutating func emitText(_ text: [Unicode.Scalar], line: Int, column: Int) {
        guard !text.isEmpty else { return }
        var string = String.UnicodeScalarView()
        string.append(contentsOf: text)
        tokens.append(TemplateToken(kind: .text(String(string)), line: line, column: column))
    }

    /// After a closing delimiter: `-` strips all following whitespace, `trim_blocks` one newline.
    mutating func afterClose(stripMarker: Bool, trimNewline: Bool) {
        if stripMarker {
            while let c = at(0), c.properties.isWhitespace { advance() }
        } else if trimNewline, at(0) == "\n" {
            advance()
        }
    }

    mutating func skipComment(hasMarker: Bool) throws(ChatTemplateError) {
        let (startLine, startColumn) = (line, column)
        advance(hasMarker ? 3 : 2)
        while pos < chars.count {
            if chars[pos] == "#", at(1) == "}" {
                let strip = pos > 0 && chars[pos - 1] == "-"
                advance(2)
                afterClose(stripMarker: strip, trimNewline: trimBlocks)
                return
            }
            advance()
        }
        throw ChatTemplateError(.syntax, "unclosed comment", line: startLine, column: startColumn)
    }

    /// Reads `{% raw %}…{% endraw %}` if the block tag at `pos` is one; returns false otherwise.
    mutating func lexRaw(hasMarker: Bool) throws(ChatTemplateError) -> Bool {
        var i = pos + (hasMarker ? 3 : 2)
        while i < chars.count, chars[i].properties.isWhitespace { i += 1 }
        guard Self.matchWord("raw", in: chars, at: i) else { return false }
        let (startLine, startColumn) = (line, column)
        i += 3
        while i < chars.count, chars[i].properties.isWhitespace { i += 1 }
        var stripAfterBegin = false
        if i < chars.count, chars[i] == "-" {
            stripAfterBegin = true
            i += 1
        }
        guard i + 1 < chars.count, chars[i] == "%", chars[i + 1] == "}" else { throw error("malformed raw tag") }
        advance(i + 2 - pos)
        afterClose(stripMarker: stripAfterBegin, trimNewline: false)
        let bodyStart = pos
        let (bodyLine, bodyColumn) = (line, column)
        while pos < chars.count {
            if chars[pos] == "{", at(1) == "%", let end = Self.matchEndRaw(chars, at: pos) {
                var body = Array(chars[bodyStart..<pos])
                let marker = at(2)
                if marker == "-" {
                    while let last = body.last, last.properties.isWhitespace { body.removeLast() }
                } else if marker != "+", lstripBlocks {
                    body = Self.lstrip(body, lineStarting: bodyStart == 0 || chars[bodyStart - 1] == "\n")
                }
                emitText(body, line: bodyLine, column: bodyColumn)
                let strip = chars[end - 3] == "-"
                let keep = chars[end - 3] == "+"
                advance(end - pos)
                afterClose(stripMarker: strip, trimNewline: trimBlocks && !keep)
                return true
            }
            advance()
        }
        throw ChatTemplateError(.syntax, "missing endraw for raw block", line: startLine, column: startColumn)
    }

    static func matchWord(_ word: String, in chars: [Unicode.Scalar], at index: Int) -> Bool {
        let scalars = Array(word.unicodeScalars)
        guard index + scalars.count <= chars.count, Array(chars[index..<index + scalars.count]) == scalars else { return false }
        let next = index + scalars.count
        return next == chars.count || !(chars[next].properties.isAlphabetic || chars[next] == "_" || chars[next].properties.numericType != nil)
    }

    /// If `{% endraw %}` starts at `index`, the index just past it.
    static func matchEndRaw(_ chars: [Unicode.Scalar], at index: Int) -> Int? {
        var i = index + 2
        if i < chars.count, chars[i] == "-" || chars[i] == "+" { i += 1 }
        while i < chars.count, chars[i].properties.isWhitespace { i += 1 }
        guard matchWord("endraw", in: chars, at: i) else { return nil }
        i += 6
        while i < chars.count, chars[i].properties.isWhitespace { i += 1 }
        if i < chars.count, chars[i] == "-" || chars[i] == "+" { i += 1 }
        guard i + 1 < chars.count, chars[i] == "%", chars[i + 1] == "}" else { return nil }
        return i + 2
    }
}
