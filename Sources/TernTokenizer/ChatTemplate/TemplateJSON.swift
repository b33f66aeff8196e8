/// How the `tojson` filter writes JSON.
public enum TemplateJSONStyle: Sendable, Equatable {
    /// transformers' `tojson`: `json.dumps(x, ensure_ascii=False, indent=indent)`: keys in their order, non-ASCII
    /// characters as they are, no HTML escaping. This is what chat templates are written and trained against.
    case transformers
    /// Jinja2's own `tojson` (what plain Jinja2 and llama-cpp-python render): keys sorted, non-ASCII as `\uXXXX`, and
    /// `<`, `>`, `&`, `'` escaped as `\u003c`, `\u003e`, `\u0026`, `\u0027` so the output is safe inside HTML.
    case jinja2
}

/// Python `json.dumps`-compatible encoding of template values.
enum TemplateJSON {
    static func encode(_ value: RuntimeValue, style: TemplateJSONStyle, indent: Int?) throws(ChatTemplateError) -> String {
        var out = ""
        let ascii = style == .jinja2
        try write(value, into: &out, indent: indent, level: 0, sortKeys: style == .jinja2, ascii: ascii)
        guard style == .jinja2 else { return out }
        var safe = ""
        for c in out.unicodeScalars {
            switch c {
            case "<": safe += "\\u003c"
            case ">": safe += "\\u003e"
            case "&": safe += "\\u0026"
            case "'": safe += "\\u0027"
            default: safe.unicodeScalars.append(c)
            }
        }
        return safe
    }

    private static func write(
        _ value: RuntimeValue, into out: inout String, indent: Int?, level: Int, sortKeys: Bool, ascii: Bool
    ) throws(ChatTemplateError) {
        guard level < 256 else { throw ChatTemplateError(.limit, "value nested too deeply for tojson") }
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : RuntimeValue.pythonFloat(d)
        case .string(let s): quote(s, into: &out, ascii: ascii)
        case .array(let items):
            try container("[", "]", count: items.count, into: &out, indent: indent, level: level) { (i, out) throws(ChatTemplateError) in
                try write(items[i], into: &out, indent: indent, level: level + 1, sortKeys: sortKeys, ascii: ascii)
            }
        case .dict(let dict):
            var entries = dict.entries
            if sortKeys { entries.sort { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) } }
            try container("{", "}", count: entries.count, into: &out, indent: indent, level: level) { (i, out) throws(ChatTemplateError) in
                quote(entries[i].key, into: &out, ascii: ascii)
                out += ": "
                try write(entries[i].value, into: &out, indent: indent, level: level + 1, sortKeys: sortKeys, ascii: ascii)
            }
        case .undefined(let reason):
            throw ChatTemplateError(.runtime, "Object of type Undefined is not JSON serializable (\(reason))")
        case .namespace, .callable:
            throw ChatTemplateError(.runtime, "Object of type \(value.typeName) is not JSON serializable")
        }
    }

    private static func container(
        _ open: String, _ close: String, count: Int, into out: inout String, indent: Int?, level: Int,
        element: (Int, inout String) throws(ChatTemplateError) -> Void
    ) throws(ChatTemplateError) {
        out += open
        guard count > 0 else {
            out += close
            return
        }
        let newline = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) }
        for i in 0..<count {
            if i > 0 { out += newline == nil ? ", " : "," }
            if let newline { out += newline }
            try element(i, &out)
        }
        if let indent { out += "\n" + String(repeating: " ", count: indent * level) }
        out += close
    }

    private static func quote(_ s: String, into out: inout String, ascii: Bool) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if c.value < 0x20 || (ascii && c.value > 0x7E) {
                    for unit in String(c).utf16 { out += "\\u" + RuntimeValue.hex(UInt32(unit), width: 4) }
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }
}
