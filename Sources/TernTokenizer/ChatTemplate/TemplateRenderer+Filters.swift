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
    func callFilter(_ name: String, _ value: RuntimeValue, _ arguments: CallArguments) throws(ChatTemplateError) -> RuntimeValue {
        switch name {
        case "default", "d":
            let fallback = arguments.value(0, "default_value") ?? .string("")
            let boolean = arguments.value(1, "boolean")?.isTruthy ?? false
            return value.isUndefined || (boolean && !value.isTruthy) ? fallback : value
        case "safe", "string":
            return .string(try defined(value).pythonString)
        case "escape", "e", "forceescape":
            return .string(Self.htmlEscape(try defined(value).pythonString))
        case "tojson":
            return .string(try TemplateJSON.encode(value, style: options.jsonStyle, indent: try indentArgument(arguments.value(0, "indent"))))
        case "length", "count":
            return .int(try value.length())
        case "list":
            return .array(try value.iterated())
        case "items":
            if value.isUndefined { return .array([]) }
            guard case .dict(let dict) = value else { throw ChatTemplateError(.runtime, "can only get item pairs from a mapping") }
            return .array(dict.entries.map { .array([.string($0.key), $0.value]) })
        case "first", "last":
            let items = try defined(value).iterated()
            return (name == "first" ? items.first : items.last) ?? .undefined(reason: "\(value.typeName) has no \(name) item")
        case "join":
            let separator = arguments.value(0, "d")?.pythonString ?? ""
            var items = try value.iterated()
            if let attribute = arguments.value(1, "attribute") {
                items = try items.map { (v) throws(ChatTemplateError) in try attributePath(v, attribute) }
            }
            let text = items.map(\.pythonString).joined(separator: separator)
            try checkSize(text.utf8.count, bytes: true)
            return .string(text)
        case "upper", "lower", "capitalize", "title", "trim", "wordcount", "center", "indent", "replace", "truncate":
            return try stringFilter(name, try string(value, name), arguments)
        case "int":
            let fallback = arguments.value(0, "default") ?? .int(0)
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
            let fallback = arguments.value(0, "default") ?? .double(0)
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
            return try attribute(of: value, attributeName)
        case "reverse":
            if case .string(let s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .array(try value.iterated().reversed())
        default:
            return try sequenceFilter(name, value, arguments)
        }
    }

    func defined(_ value: RuntimeValue) throws(ChatTemplateError) -> RuntimeValue {
        if case .undefined(let reason) = value { throw ChatTemplateError(.runtime, reason) }
        return value
    }

    private func string(_ value: RuntimeValue, _ filter: String) throws(ChatTemplateError) -> String {
        try defined(value).pythonString
    }

    private func indentArgument(_ value: RuntimeValue?) throws(ChatTemplateError) -> Int? {
        switch value {
        case nil, .none?: return nil
        case let v? where v.integer != nil: return v.integer
        case let v?: throw ChatTemplateError(.unsupported, "tojson indent must be an integer, not '\(v.typeName)'")
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
