/// Python `str` operations with Python's exact rules (code points, whitespace definition, `split()` semantics).
enum PythonString {
    static func isSpace(_ c: Unicode.Scalar) -> Bool { c.properties.isWhitespace || (0x1C...0x1F).contains(c.value) }

    static func strip(_ s: String, chars: String?, leading: Bool, trailing: Bool) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        let strip: (Unicode.Scalar) -> Bool = { c in set.map { $0.contains(c) } ?? isSpace(c) }
        var scalars = Substring(s).unicodeScalars[...]
        if leading { while let c = scalars.first, strip(c) { scalars.removeFirst() } }
        if trailing { while let c = scalars.last, strip(c) { scalars.removeLast() } }
        return String(String.UnicodeScalarView(scalars))
    }

    static func split(_ s: String, separator: String?, maxSplit: Int, fromRight: Bool) throws(ChatTemplateError) -> [String] {
        var scalars = Array(s.unicodeScalars)
        if fromRight { scalars.reverse() }
        var parts: [[Unicode.Scalar]] = []
        if let separator {
            var sep = Array(separator.unicodeScalars)
            guard !sep.isEmpty else { throw ChatTemplateError(.runtime, "empty separator") }
            if fromRight { sep.reverse() }
            var current: [Unicode.Scalar] = []
            var i = 0
            while i < scalars.count {
                if maxSplit < 0 || parts.count < maxSplit, scalars[i...].starts(with: sep) {
                    parts.append(current)
                    current = []
                    i += sep.count
                } else {
                    current.append(scalars[i])
                    i += 1
                }
            }
            parts.append(current)
        } else {
            var i = 0
            while i < scalars.count {
                while i < scalars.count, isSpace(scalars[i]) { i += 1 }
                guard i < scalars.count else { break }
                if maxSplit >= 0, parts.count == maxSplit {
                    var rest = Array(scalars[i...])
                    while let last = rest.last, isSpace(last) { rest.removeLast() }
                    parts.append(rest)
                    break
                }
                var word: [Unicode.Scalar] = []
                while i < scalars.count, !isSpace(scalars[i]) {
                    word.append(scalars[i])
                    i += 1
                }
                parts.append(word)
            }
        }
        if fromRight { parts = parts.reversed().map { $0.reversed() } }
        return parts.map { String(String.UnicodeScalarView($0)) }
    }

    /// Python's `str.title()`: a letter after a non-letter is uppercased, other letters lowercased.
    static func title(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for c in s {
            out += previousCased ? c.lowercased() : c.uppercased()
            previousCased = c.isCased
        }
        return out
    }

    static func capitalize(_ s: String) -> String {
        guard let first = s.first else { return s }
        return first.uppercased() + s.dropFirst().lowercased()
    }

    static func replace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
        let scalars = Array(s.unicodeScalars)
        let oldScalars = Array(old.unicodeScalars)
        var out = String.UnicodeScalarView()
        var replaced = 0
        var i = 0
        if oldScalars.isEmpty {
            // Python inserts `new` between every character and at both ends.
            for c in scalars {
                if count < 0 || replaced < count {
                    out.append(contentsOf: new.unicodeScalars)
                    replaced += 1
                }
                out.append(c)
            }
            if count < 0 || replaced < count { out.append(contentsOf: new.unicodeScalars) }
            return String(out)
        }
        while i < scalars.count {
            if count < 0 || replaced < count, scalars[i...].starts(with: oldScalars) {
                out.append(contentsOf: new.unicodeScalars)
                i += oldScalars.count
                replaced += 1
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return String(out)
    }

    static func find(_ s: String, _ needle: String, last: Bool) -> Int? {
        let scalars = Array(s.unicodeScalars)
        let n = Array(needle.unicodeScalars)
        guard n.count <= scalars.count else { return nil }
        let starts = Array(0...(scalars.count - n.count))
        for i in last ? starts.reversed() : starts where scalars[i...].starts(with: n) { return i }
        return nil
    }

    static func count(_ s: String, _ needle: String) -> Int {
        let scalars = Array(s.unicodeScalars)
        let n = Array(needle.unicodeScalars)
        if n.isEmpty { return scalars.count + 1 }
        var total = 0
        var i = 0
        while i + n.count <= scalars.count {
            if scalars[i...].starts(with: n) {
                total += 1
                i += n.count
            } else {
                i += 1
            }
        }
        return total
    }
}

extension PythonString {
    /// Python's `str.splitlines()`: every Unicode line boundary, `\r\n` as one.
    static func splitLines(_ s: String) -> [String] {
        let boundaries: Set<UInt32> = [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var previousCR = false
        for c in s.unicodeScalars {
            if c == "\n", previousCR {
                previousCR = false
                continue
            }
            previousCR = c == "\r"
            if boundaries.contains(c.value) {
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }
}
