extension TemplateLexer {
    /// Reads `{{ … }}` or `{% … %}`: the delimiters and the expression tokens between them.
    mutating func lexTag(block: Bool, hasMarker: Bool) throws(ChatTemplateError) {
        tokens.append(TemplateToken(kind: block ? .blockBegin : .variableBegin, line: line, column: column))
        advance(hasMarker ? 3 : 2)
        var depth = 0
        while true {
            while let c = at(0), c.properties.isWhitespace { advance() }
            guard let c = at(0) else { throw error(block ? "unclosed block tag, expected '%}'" : "unclosed expression, expected '}}'") }
            if depth == 0, let closeLength = closing(block: block) {
                let marker = closeLength == 3 ? chars[pos] : nil
                tokens.append(TemplateToken(kind: block ? .blockEnd : .variableEnd, line: line, column: column))
                advance(closeLength)
                afterClose(stripMarker: marker == "-", trimNewline: block && trimBlocks && marker != "+")
                return
            }
            let (tokenLine, tokenColumn) = (line, column)
            let kind: TemplateToken.Kind
            if c == "'" || c == "\"" {
                kind = .string(try lexString(quote: c))
            } else if c.properties.numericType != nil, c.isASCII {
                kind = try lexNumber()
            } else if c.properties.isAlphabetic || c == "_" {
                var name = String.UnicodeScalarView()
                while let n = at(0), n.properties.isAlphabetic || n == "_" || (n.isASCII && n.properties.numericType != nil) {
                    name.append(n)
                    advance()
                }
                kind = .name(String(name))
            } else {
                let op = try lexOperator()
                if ["(", "[", "{"].contains(op) { depth += 1 }
                if [")", "]", "}"].contains(op) { depth = max(0, depth - 1) }
                kind = .op(op)
            }
            tokens.append(TemplateToken(kind: kind, line: tokenLine, column: tokenColumn))
        }
    }

    /// The length of the closing delimiter at `pos`, if one is there.
    private func closing(block: Bool) -> Int? {
        let close: [Unicode.Scalar] = block ? ["%", "}"] : ["}", "}"]
        if at(0) == close[0], at(1) == close[1] { return 2 }
        let markers: [Unicode.Scalar] = block ? ["-", "+"] : ["-"]
        if let m = at(0), markers.contains(m), at(1) == close[0], at(2) == close[1] { return 3 }
        return nil
    }

    private mutating func lexOperator() throws(ChatTemplateError) -> String {
        let two = [at(0), at(1)].compactMap { $0 }.map(String.init).joined()
        if ["//", "**", "==", "!=", "<=", ">="].contains(two) {
            advance(2)
            return two
        }
        let one = String(at(0)!)
        guard "+-*/%~<>()[]{},.:|=".contains(one) else { throw error("unexpected character '\(one)'") }
        advance()
        return one
    }

    private mutating func lexNumber() throws(ChatTemplateError) -> TemplateToken.Kind {
        var digits = ""
        var isFloat = false
        func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { $0.isASCII && $0.properties.numericType != nil } ?? false }
        if at(0) == "0", let base = at(1), "xXoObB".unicodeScalars.contains(base) {
            advance(2)
            while let c = at(0), c.isASCII, c.properties.isAlphabetic || c.properties.numericType != nil || c == "_" {
                if c != "_" { digits.unicodeScalars.append(c) }
                advance()
            }
            let radix = "xX".unicodeScalars.contains(base) ? 16 : "oO".unicodeScalars.contains(base) ? 8 : 2
            guard let value = Int(digits, radix: radix) else { throw error("invalid integer literal") }
            return .integer(value)
        }
        while isDigit(at(0)) || (at(0) == "_" && isDigit(at(1))) {
            if at(0) != "_" { digits.unicodeScalars.append(at(0)!) }
            advance()
        }
        if at(0) == ".", isDigit(at(1)) {
            isFloat = true
            digits += "."
            advance()
            while isDigit(at(0)) || (at(0) == "_" && isDigit(at(1))) {
                if at(0) != "_" { digits.unicodeScalars.append(at(0)!) }
                advance()
            }
        }
        if at(0) == "e" || at(0) == "E", isDigit(at(1)) || ((at(1) == "+" || at(1) == "-") && isDigit(at(2))) {
            isFloat = true
            digits += "e"
            advance()
            if at(0) == "+" || at(0) == "-" {
                digits.unicodeScalars.append(at(0)!)
                advance()
            }
            while isDigit(at(0)) {
                digits.unicodeScalars.append(at(0)!)
                advance()
            }
        }
        if isFloat {
            guard let value = Double(digits) else { throw error("invalid number literal") }
            return .float(value)
        }
        guard let value = Int(digits) else { throw error("integer literal too large") }
        return .integer(value)
    }

    /// A quoted string with Python's escapes (`\n`, `\t`, `\\`, `\'`, `\xhh`, `\uXXXX`, `\UXXXXXXXX`, octal).
    private mutating func lexString(quote: Unicode.Scalar) throws(ChatTemplateError) -> String {
        let (startLine, startColumn) = (line, column)
        advance()
        var out = String.UnicodeScalarView()
        while let c = at(0) {
            advance()
            if c == quote { return String(out) }
            guard c == "\\" else {
                out.append(c)
                continue
            }
            guard let e = at(0) else { break }
            advance()
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "\\", "'", "\"": out.append(e)
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            case "\n": break
            case "x", "u", "U":
                let width = e == "x" ? 2 : e == "u" ? 4 : 8
                var hex = ""
                for _ in 0..<width {
                    guard let h = at(0), h.properties.isASCIIHexDigit else { throw error("truncated \\\(e) escape in string") }
                    hex.unicodeScalars.append(h)
                    advance()
                }
                guard let scalar = UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init) else { throw error("invalid escape in string") }
                out.append(scalar)
            case "0"..."7":
                var octal = String(e)
                while octal.count < 3, let o = at(0), ("0"..."7").contains(o) {
                    octal.unicodeScalars.append(o)
                    advance()
                }
                out.append(Unicode.Scalar(UInt32(octal, radix: 8) ?? 0) ?? "\u{FFFD}")
            default:
                out.append("\\")
                out.append(e)
            }
        }
        throw ChatTemplateError(.syntax, "unterminated string literal", line: startLine, column: startColumn)
    }
}

extension String {
    /// Jinja2 turns `\r\n` and `\r` into `\n` before lexing.
    func replacingCRLF() -> String {
        guard unicodeScalars.contains("\r") else { return self }
        var out = String.UnicodeScalarView()
        var previousCR = false
        for c in unicodeScalars {
            if c == "\r" {
                out.append("\n")
                previousCR = true
                continue
            }
            if !(c == "\n" && previousCR) { out.append(c) }
            previousCR = false
        }
        return String(out)
    }
}
