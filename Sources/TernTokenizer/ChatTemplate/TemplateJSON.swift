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
    /// `json.dumps`' options.
    struct Format {
        /// The indentation of one level; nil writes everything on one line.
        var indent: String?
        /// Between items and between key–value pairs; Python's default is `", "`, or `","` when indenting.
        var itemSeparator: String
        /// Between a key and its value.
        var keySeparator = ": "
        var sortKeys = false
        /// `ensure_ascii`: write non-ASCII characters as `\uXXXX`.
        var ascii = false
        /// Jinja2's `htmlsafe_json_dumps`: escape `<`, `>`, `&` and `'` afterwards.
        var htmlSafe = false

        init(indent: String? = nil, itemSeparator: String? = nil) {
            self.indent = indent
            self.itemSeparator = itemSeparator ?? (indent == nil ? ", " : ",")
        }
    }

    static func encode(_ value: RuntimeValue, format: Format) throws(ChatTemplateError) -> String {
        var out = ""
        try write(value, into: &out, format: format, level: 0)
        guard format.htmlSafe else { return out }
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

    private static func write(_ value: RuntimeValue, into out: inout String, format: Format, level: Int) throws(ChatTemplateError) {
        guard level < 256 else { throw ChatTemplateError(.limit, "value nested too deeply for tojson") }
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : RuntimeValue.pythonFloat(d)
        case .string(let s), .markup(let s): quote(s, into: &out, ascii: format.ascii)
        case .array(let items):
            try container("[", "]", count: items.count, into: &out, format: format, level: level) { (i, out) throws(ChatTemplateError) in
                try write(items[i], into: &out, format: format, level: level + 1)
            }
        case .dict(let dict):
            let entries = format.sortKeys ? try sortedByKey(dict.entries) : dict.entries
            try container("{", "}", count: entries.count, into: &out, format: format, level: level) { (i, out) throws(ChatTemplateError) in
                quote(key(entries[i].key), into: &out, ascii: format.ascii)
                out += format.keySeparator
                try write(entries[i].value, into: &out, format: format, level: level + 1)
            }
        case .undefined(let reason):
            throw ChatTemplateError(.runtime, "Object of type Undefined is not JSON serializable (\(reason))")
        case .namespace, .callable, .iterator:
            throw ChatTemplateError(.runtime, "Object of type \(value.typeName) is not JSON serializable")
        }
    }

    /// A key as `json.dumps` writes it: strings as they are, numbers, `true`, `false` and `null` as text.
    private static func key(_ value: RuntimeValue) -> String {
        switch value {
        case .bool(let b): b ? "true" : "false"
        case .none: "null"
        default: value.pythonString
        }
    }

    /// Python's `sorted(d.items())`: by key, failing for keys that do not compare (`1` and `'a'`).
    private static func sortedByKey(
        _ entries: [(key: RuntimeValue, value: RuntimeValue)]
    ) throws(ChatTemplateError) -> [(key: RuntimeValue, value: RuntimeValue)] {
        var sorted: [(key: RuntimeValue, value: RuntimeValue)] = []
        for entry in entries {
            var position = sorted.count
            while position > 0, try entry.key.pythonCompare(sorted[position - 1].key) < 0 { position -= 1 }
            sorted.insert(entry, at: position)
        }
        return sorted
    }

    private static func container(
        _ open: String, _ close: String, count: Int, into out: inout String, format: Format, level: Int,
        element: (Int, inout String) throws(ChatTemplateError) -> Void
    ) throws(ChatTemplateError) {
        out += open
        guard count > 0 else {
            out += close
            return
        }
        let newline = format.indent.map { "\n" + String(repeating: $0, count: level + 1) }
        for i in 0..<count {
            if i > 0 { out += format.itemSeparator }
            if let newline { out += newline }
            try element(i, &out)
        }
        if let indent = format.indent { out += "\n" + String(repeating: indent, count: level) }
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
