extension RuntimeValue {
    /// Python's `str()`, which Jinja2 uses to print a value; undefined prints as nothing.
    var pythonString: String {
        switch self {
        case .undefined: ""
        case .string(let s), .markup(let s): s
        default: pythonRepr
        }
    }

    /// Python's `repr()`.
    var pythonRepr: String {
        switch self {
        case .undefined: ""
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .double(let d): Self.pythonFloat(d)
        case .string(let s): Self.pythonQuoted(s)
        case .markup(let s): "Markup(\(Self.pythonQuoted(s)))"
        case .array(let a): "[" + a.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .dict(let d): "{" + d.entries.map { $0.key.pythonRepr + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
        case .namespace(let n):
            "<Namespace {" + n.attributes.entries.map { $0.key.pythonRepr + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}>"
        case .callable(let c): "<function \(c.name)>"
        case .iterator(let iterator): "<\(iterator.typeName) object>"
        }
    }

    /// Python's float `repr`: shortest round-trip digits, `inf`, `nan`.
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        // Swift's description already follows Python's repr rules (exponent below 1e-4 and from 1e16).
        return d.description
    }

    /// A string literal as Python's `repr` writes it.
    static func pythonQuoted(_ s: String) -> String {
        let quote: Unicode.Scalar = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String.UnicodeScalarView([quote])
        for c in s.unicodeScalars {
            switch c {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case quote: out.append(contentsOf: ["\\", quote])
            default:
                if c.value < 0x20 || c.value == 0x7F {
                    out.append(contentsOf: "\\x".unicodeScalars)
                    out.append(contentsOf: hex(c.value, width: 2).unicodeScalars)
                } else {
                    out.append(c)
                }
            }
        }
        out.append(quote)
        return String(out)
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Python's `==`.
    func pythonEquals(_ other: RuntimeValue) -> Bool {
        switch (plain, other.plain) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.pythonEquals($1) }
        case (.dict(let a), .dict(let b)):
            return a.count == b.count && a.entries.allSatisfy { entry in b[entry.key].map { entry.value.pythonEquals($0) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        case (.callable(let a), .callable(let b)): return a === b
        case (.iterator(let a), .iterator(let b)): return a === b
        default:
            if let x = integer, let y = other.integer { return x == y }
            if let x = number, let y = other.number { return x == y }
            return false
        }
    }

    /// Python's ordering for `<`, `>`, `sort`, `min`, `max`: negative, zero or positive.
    func pythonCompare(_ other: RuntimeValue, op: String = "<") throws(ChatTemplateError) -> Int {
        switch (plain, other.plain) {
        case (.string(let a), .string(let b)):
            if a.unicodeScalars.elementsEqual(b.unicodeScalars) { return 0 }
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : 1
        case (.array(let a), .array(let b)):
            for (x, y) in zip(a, b) where !x.pythonEquals(y) { return try x.pythonCompare(y, op: op) }
            return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
        default:
            if let x = integer, let y = other.integer { return x == y ? 0 : (x < y ? -1 : 1) }
            if let x = number, let y = other.number { return x == y ? 0 : (x < y ? -1 : 1) }
            if case .undefined(let reason) = self { throw ChatTemplateError(.runtime, reason) }
            if case .undefined(let reason) = other { throw ChatTemplateError(.runtime, reason) }
            throw ChatTemplateError(.runtime, "'\(op)' not supported between instances of '\(typeName)' and '\(other.typeName)'")
        }
    }

    /// The elements a `for` loop or a filter walks: list items, dict keys, string characters.
    func iterated() throws(ChatTemplateError) -> [RuntimeValue] {
        switch self {
        case .undefined: return []
        case .array(let a): return a
        case .dict(let d): return d.keys
        case .string(let s), .markup(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .iterator(let iterator): return try iterator.rest()
        default: throw ChatTemplateError(.runtime, "'\(typeName)' object is not iterable")
        }
    }

    /// Python's `len()`.
    func length() throws(ChatTemplateError) -> Int {
        switch self {
        case .undefined: return 0
        case .string(let s), .markup(let s): return s.unicodeScalars.count
        case .array(let a): return a.count
        case .dict(let d): return d.count
        case .namespace(let n): return n.attributes.count
        default: throw ChatTemplateError(.runtime, "object of type '\(typeName)' has no len()")
        }
    }

    /// Python's `in` with `self` as the container.
    func pythonContains(_ needle: RuntimeValue) throws(ChatTemplateError) -> Bool {
        switch self {
        case .undefined: return false
        case .string(let s), .markup(let s):
            guard case .string(let n) = needle.plain else {
                throw ChatTemplateError(.runtime, "'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return PythonString.find(s, n, last: false) != nil
        case .array(let a): return a.contains { $0.pythonEquals(needle) }
        case .iterator(let iterator):
            while let item = try iterator.next() {
                if item.pythonEquals(needle) { return true }
            }
            return false
        case .dict(let d):
            _ = try RuntimeDict.requireHashKey(needle)
            return d[needle] != nil
        default: throw ChatTemplateError(.runtime, "argument of type '\(typeName)' is not iterable")
        }
    }
}

/// Python's slice arithmetic: the indices `[start:stop:step]` selects from `count` elements.
func pythonSliceIndices(count: Int, start: Int?, stop: Int?, step: Int?) throws(ChatTemplateError) -> [Int] {
    let step = step ?? 1
    guard step != 0 else { throw ChatTemplateError(.runtime, "slice step cannot be zero") }
    func clamp(_ value: Int?, _ defaultValue: Int, low: Int, high: Int) -> Int {
        guard var v = value else { return defaultValue }
        if v < 0 { v += count }
        return min(max(v, low), high)
    }
    var indices: [Int] = []
    if step > 0 {
        var i = clamp(start, 0, low: 0, high: count)
        let end = clamp(stop, count, low: 0, high: count)
        while i < end {
            indices.append(i)
            i += step
        }
    } else {
        var i = clamp(start, count - 1, low: -1, high: count - 1)
        let end = clamp(stop, -1, low: -1, high: count - 1)
        while i > end {
            indices.append(i)
            i += step
        }
    }
    return indices
}
