extension TemplateRenderer {
    /// Jinja2's built-in tests (`x is defined`, `n is divisibleby 3`, …).
    func applyTest(_ name: String, to input: RuntimeValue, arguments rawArguments: CallArguments) throws(ChatTemplateError) -> Bool {
        if name == "escaped" { return input.isMarkup }
        // A `Markup` string is a `str` to every other test.
        let value = input.plain
        let arguments = rawArguments.plain
        func argument() throws(ChatTemplateError) -> RuntimeValue {
            guard let other = arguments.positional.first ?? arguments.keyword.first?.value else {
                throw ChatTemplateError(.runtime, "test '\(name)' needs an argument")
            }
            return other
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "string": if case .string = value { return true } else { return false }
        case "number": return value.number != nil
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "mapping": if case .dict = value { return true } else { return false }
        case "callable": if case .callable = value { return true } else { return false }
        case "iterable", "sequence":
            switch value {
            case .undefined, .string, .array, .dict: return true
            case .iterator: return name == "iterable"
            default: return false
            }
        case "even", "odd":
            guard let i = value.integer else { throw ChatTemplateError(.runtime, "test '\(name)' needs an integer, not '\(value.typeName)'") }
            return (i % 2 == 0) == (name == "even")
        case "divisibleby":
            guard let i = value.integer, let n = try argument().integer else {
                throw ChatTemplateError(.runtime, "test 'divisibleby' needs integers")
            }
            guard n != 0 else { throw ChatTemplateError(.runtime, "integer division or modulo by zero") }
            return i % n == 0
        case "equalto", "eq", "==": return value.pythonEquals(try argument())
        case "ne", "!=": return !value.pythonEquals(try argument())
        case "lt", "lessthan", "<": return try value.pythonCompare(try argument(), op: "<") < 0
        case "le", "<=": return try value.pythonCompare(try argument(), op: "<=") <= 0
        case "gt", "greaterthan", ">": return try value.pythonCompare(try argument(), op: ">") > 0
        case "ge", ">=": return try value.pythonCompare(try argument(), op: ">=") >= 0
        case "in": return try argument().pythonContains(value)
        case "sameas":
            switch (value, try argument()) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.namespace(let a), .namespace(let b)): return a === b
            default: return false
            }
        case "lower", "upper":
            guard case .string(let s) = value else { return false }
            return name == "lower" ? s.lowercased() == s : s.uppercased() == s
        default: throw TemplateBuiltins.missingTest(name)
        }
    }
}
