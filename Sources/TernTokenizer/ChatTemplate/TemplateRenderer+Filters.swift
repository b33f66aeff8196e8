#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension TemplateRenderer {
    func applyFilter(_ filter: TemplateNode.FilterCall, to value: RuntimeValue) throws(ChatTemplateError) -> RuntimeValue {
        let arguments = try evaluate(filter.arguments)
        do {
            return try callFilter(filter.name, value, arguments)
        } catch {
            throw error.located(line: filter.line, column: filter.column)
        }
    }

    /// Jinja2's built-in filters with their Python behaviour.
    ///
    /// Text arguments are seen as plain strings (defaults are passed on as they are); a `Markup` value stays `Markup`
    /// through the filters that keep it in Jinja2 (`string`, `upper`, `trim`, …) and is a plain string to the others.
    func callFilter(_ name: String, _ input: RuntimeValue, _ rawArguments: CallArguments) throws(ChatTemplateError) -> RuntimeValue {
        let arguments = rawArguments.plain
        let value = input.plain
        switch name {
        case "default", "d":
            let fallback = rawArguments.value(0, "default_value") ?? .string("")
            let boolean = arguments.value(1, "boolean")?.isTruthy ?? false
            return input.isUndefined || (boolean && !input.isTruthy) ? fallback : input
        case "safe":
            return .markup(input.pythonString)
        case "string":
            if case .markup = input { return input }
            return .string(value.pythonString)
        case "escape", "e":
            return .markup(input.htmlEscaped)
        case "forceescape":
            return .markup(Self.htmlEscape(value.pythonString))
        case "tojson":
            let text = try TemplateJSON.encode(value, format: try jsonFormat(arguments))
            // Jinja2's own filter returns `Markup`; transformers' returns a plain `json.dumps` string.
            return options.jsonStyle == .jinja2 ? .markup(text) : .string(text)
        case "length", "count":
            return .int(try value.length())
        case "list":
            return .array(try value.iterated())
        case "items":
            return TemplateIterator.generator { () throws(ChatTemplateError) in
                if value.isUndefined { return [] }
                guard case .dict(let dict) = value else { throw ChatTemplateError(.runtime, "Can only get item pairs from a mapping.") }
                return dict.entries.map { .array([$0.key, $0.value]) }
            }
        case "first":
            if case .iterator(let iterator) = value {
                return try iterator.next() ?? .undefined(reason: "No first item, sequence was empty.")
            }
            return try value.iterated().first ?? .undefined(reason: "No first item, sequence was empty.")
        case "last":
            if case .iterator(let iterator) = value { throw ChatTemplateError(.runtime, "'\(iterator.typeName)' object is not reversible") }
            return try value.iterated().last ?? .undefined(reason: "No last item, sequence was empty.")
        case "join":
            let separator = arguments.value(0, "d")?.pythonString ?? ""
            var items = try value.iterated()
            if let attribute = arguments.value(1, "attribute") {
                items = try items.map { (v) throws(ChatTemplateError) in try attributePath(v, attribute) }
            }
            let text = items.map(\.pythonString).joined(separator: separator)
            try checkSize(text.utf8.count, bytes: true)
            return .string(text)
        case "upper", "lower", "capitalize", "trim", "center", "indent":
            let result = try stringFilter(name, value.pythonString, arguments)
            if case .markup = input { return result.markup }
            return result
        case "truncate":
            return try truncate(input, arguments)
        case "title", "wordcount", "replace":
            return try stringFilter(name, value.pythonString, arguments)
        case "int":
            let fallback = rawArguments.value(0, "default") ?? .int(0)
            switch value {
            case .int, .bool: return .int(value.integer!)
            case .double(let d): return d.isFinite ? .int(Int(d)) : fallback
            case .string(let s):
                let trimmed = PythonString.strip(s, chars: nil, leading: true, trailing: true).replacingOccurrences("_", "")
                if let i = Int(trimmed) { return .int(i) }
                if let d = Double(trimmed), d.isFinite, abs(d) < 9e18 { return .int(Int(d)) }
                return fallback
            default: return fallback
            }
        case "float":
            let fallback = rawArguments.value(0, "default") ?? .double(0)
            switch value {
            case .int, .bool, .double: return .double(value.number!)
            case .string(let s): return Double(PythonString.strip(s, chars: nil, leading: true, trailing: true)).map { .double($0) } ?? fallback
            default: return fallback
            }
        case "abs":
            switch value {
            case .int(let i): return .int(i.magnitude > Int.max.magnitude ? i : abs(i))
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return .double(abs(d))
            default: throw Self.operandError("abs()", value)
            }
        case "round":
            guard let number = value.number else { throw Self.operandError("round()", value) }
            let precision = arguments.value(0, "precision")?.integer ?? 0
            let method = arguments.value(1, "method")?.pythonString ?? "common"
            if method == "common", precision >= 0, number.isFinite {
                return .double(Self.pythonRound(number, digits: precision))
            }
            let scale = pow10(precision)
            let scaled = number * scale
            let rounded: Double =
                switch method {
                case "ceil": scaled.rounded(.up)
                case "floor": scaled.rounded(.down)
                case "common": scaled.rounded(.toNearestOrEven)
                default: throw ChatTemplateError(.runtime, "method must be common, ceil or floor")
                }
            return .double(rounded / scale)
        case "attr":
            guard case .string(let attributeName)? = arguments.value(0, "name") else { throw ChatTemplateError(.runtime, "attr() expects a name") }
            return try attribute(of: input, attributeName)
        case "reverse":
            switch input {
            case .string(let s): return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed())))
            case .markup(let s): return .markup(String(String.UnicodeScalarView(s.unicodeScalars.reversed())))
            case .array(let items): return .iterator(TemplateIterator("list_reverseiterator", .success(items.reversed())))
            case .dict(let dict): return .iterator(TemplateIterator("dict_reversekeyiterator", .success(dict.keys.reversed())))
            default: return .array(try value.iterated().reversed())
            }
        default:
            return try sequenceFilter(name, value, rawArguments)
        }
    }

    /// The `tojson` options: transformers' `tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)`,
    /// or Jinja2's own `tojson(x, indent=None)` with its fixed `sort_keys`, `ensure_ascii` and HTML-safe escaping.
    private func jsonFormat(_ arguments: CallArguments) throws(ChatTemplateError) -> TemplateJSON.Format {
        switch options.jsonStyle {
        case .jinja2:
            try arguments.check("tojson", max: 1, names: ["indent"])
            var format = TemplateJSON.Format(indent: try jsonIndent(arguments.value(0, "indent")))
            format.sortKeys = true
            format.ascii = true
            format.htmlSafe = true
            return format
        case .transformers:
            try arguments.check("tojson", max: 4, names: ["ensure_ascii", "indent", "separators", "sort_keys"])
            var separators: (item: String, key: String)?
            switch arguments.value(2, "separators") {
            case nil, .none?: break
            case .array(let pair)? where pair.count == 2:
                guard case .string(let item) = pair[0], case .string(let key) = pair[1] else {
                    throw ChatTemplateError(.runtime, "tojson separators must be two strings")
                }
                separators = (item, key)
            case let other?: throw ChatTemplateError(.runtime, "tojson separators must be two strings, not '\(other.typeName)'")
            }
            var format = TemplateJSON.Format(indent: try jsonIndent(arguments.value(1, "indent")), itemSeparator: separators?.item)
            if let separators { format.keySeparator = separators.key }
            format.ascii = arguments.value(0, "ensure_ascii")?.isTruthy ?? false
            format.sortKeys = arguments.value(3, "sort_keys")?.isTruthy ?? false
            return format
        }
    }

    /// `json.dumps`' `indent`: a number of spaces or the string itself.
    private func jsonIndent(_ value: RuntimeValue?) throws(ChatTemplateError) -> String? {
        switch value {
        case nil, .none?: return nil
        case .string(let text)?: return text
        case let v? where v.integer != nil: return String(repeating: " ", count: max(0, min(v.integer!, 1000)))
        case let v?: throw ChatTemplateError(.runtime, "tojson indent must be an integer or a string, not '\(v.typeName)'")
        }
    }

    private func pow10(_ n: Int) -> Double {
        var result = 1.0
        for _ in 0..<abs(n) { result *= 10 }
        return n < 0 ? 1 / result : result
    }

    /// Reads `attribute` from `value`, following dots (`"function.name"`) and integer parts, as Jinja2 does.
    func attributePath(_ value: RuntimeValue, _ attribute: RuntimeValue) throws(ChatTemplateError) -> RuntimeValue {
        if case .int(let index) = attribute { return try item(of: value, .int(index)) }
        var current = value
        for part in attribute.pythonString.split(separator: ".", omittingEmptySubsequences: false) {
            let key: RuntimeValue = Int(part).map { .int($0) } ?? .string(String(part))
            current = try item(of: current, key)
        }
        return current
    }

    /// Python's `round(x, n)`: half-to-even on the exact binary value, which C's `%.*f` also computes.
    static func pythonRound(_ x: Double, digits: Int) -> Double {
        var buffer = [CChar](repeating: 0, count: 400)
        let count = buffer.withUnsafeMutableBufferPointer { pointer in
            withVaList([Int32(min(digits, 60)), x]) { vsnprintf(pointer.baseAddress!, pointer.count, "%.*f", $0) }
        }
        let text = String(decoding: buffer[..<Int(max(0, min(count, 399)))].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Double(text) ?? x
    }

    static func htmlEscape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

extension String {
    func replacingOccurrences(_ old: String, _ new: String) -> String {
        PythonString.replace(self, old, new, count: -1)
    }
}
