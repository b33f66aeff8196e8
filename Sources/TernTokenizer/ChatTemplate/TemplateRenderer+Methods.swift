extension TemplateRenderer {
    /// Python methods that templates call on strings and dicts (`content.strip()`, `message.get('x')`).
    ///
    /// Returns nil when `name` is not a method of the value's type. Methods that would change a value
    /// (`list.append`, `dict.update`, …) are refused, as in Jinja2's immutable sandbox.
    func method(of object: RuntimeValue, _ name: String) throws(ChatTemplateError) -> RuntimeValue? {
        switch object {
        case .string(let s):
            guard Self.stringMethods.contains(name) else { return nil }
            return .callable(
                TemplateCallable(name) { (arguments, _) throws(ChatTemplateError) in try Self.callStringMethod(name, s, arguments.plain) })
        case .markup(let s):
            guard Self.stringMethods.contains(name) else { return nil }
            return .callable(
                TemplateCallable(name) { (arguments, _) throws(ChatTemplateError) in try Self.callMarkupMethod(name, s, arguments) })
        case .dict(let dict):
            switch name {
            case "items":
                return .callable(TemplateCallable(name) { (_, _) in .array(dict.entries.map { .array([$0.key, $0.value]) }) })
            case "keys":
                return .callable(TemplateCallable(name) { (_, _) in .array(dict.keys) })
            case "values":
                return .callable(TemplateCallable(name) { (_, _) in .array(dict.entries.map(\.value)) })
            case "get":
                return .callable(
                    TemplateCallable(name) { (arguments, _) throws(ChatTemplateError) in
                        guard let key = arguments.value(0, "key") else {
                            throw ChatTemplateError(.runtime, "get expected at least 1 argument, got 0")
                        }
                        _ = try RuntimeDict.requireHashKey(key)
                        return dict[key] ?? arguments.value(1, "default") ?? .none
                    })
            case "update", "pop", "popitem", "setdefault", "clear":
                throw ChatTemplateError(.unsupported, "dict.\(name)() is not allowed: template values are immutable")
            default:
                return nil
            }
        case .array:
            if ["append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"].contains(name) {
                throw ChatTemplateError(.unsupported, "list.\(name)() is not allowed: template values are immutable")
            }
            return nil
        default:
            return nil
        }
    }

    static let stringMethods: Set<String> = [
        "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "upper", "lower", "title",
        "capitalize", "replace", "find", "rfind", "count", "join", "format", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower",
    ]

    /// markupsafe's `Markup` methods: those that make strings return `Markup`, escaping the text they add.
    private static func callMarkupMethod(_ name: String, _ s: String, _ arguments: CallArguments) throws(ChatTemplateError) -> RuntimeValue {
        var arguments = arguments
        switch name {
        case "replace":
            if arguments.positional.count > 1 { arguments.positional[1] = .string(arguments.positional[1].htmlEscaped) }
        case "join":
            guard let items = arguments.value(0, "iterable") else { throw ChatTemplateError(.runtime, "str.join() takes one argument") }
            arguments = CallArguments(positional: [.array(try items.iterated().map { .string($0.htmlEscaped) })])
        case "format":
            return .markup(try PythonFormat.format(s, arguments, escapingFields: true))
        default:
            break
        }
        let result = try callStringMethod(name, s, arguments.plain)
        switch name {
        case "strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "replace", "join":
            return result.markup
        case "split", "rsplit", "splitlines":
            guard case .array(let parts) = result else { return result }
            return .array(parts.map(\.markup))
        default:
            return result
        }
    }

    private static func callStringMethod(_ name: String, _ s: String, _ arguments: CallArguments) throws(ChatTemplateError) -> RuntimeValue {
        func stringArgument(_ index: Int, _ label: String) throws(ChatTemplateError) -> String? {
            switch arguments.value(index, label) {
            case nil, .none?: return nil
            case .string(let value)?: return value
            case let other?: throw ChatTemplateError(.runtime, "str.\(name)() argument must be str, not \(other.typeName)")
            }
        }
        switch name {
        case "strip", "lstrip", "rstrip":
            let chars = try stringArgument(0, "chars")
            return .string(PythonString.strip(s, chars: chars, leading: name != "rstrip", trailing: name != "lstrip"))
        case "split", "rsplit":
            let separator = try stringArgument(0, "sep")
            let maxSplit = arguments.value(1, "maxsplit")?.integer ?? -1
            return .array(try PythonString.split(s, separator: separator, maxSplit: maxSplit, fromRight: name == "rsplit").map { .string($0) })
        case "splitlines":
            return .array(PythonString.splitLines(s).map { .string($0) })
        case "startswith", "endswith":
            let candidates: [RuntimeValue]
            switch arguments.value(0, "prefix") {
            case .array(let items)?: candidates = items
            case let item?: candidates = [item]
            case nil: throw ChatTemplateError(.runtime, "str.\(name)() takes at least 1 argument")
            }
            for candidate in candidates {
                guard case .string(let affix) = candidate.plain else {
                    throw ChatTemplateError(.runtime, "str.\(name)() argument must be str or a tuple of str")
                }
                let scalars = Array(s.unicodeScalars)
                let affixScalars = Array(affix.unicodeScalars)
                let hit = name == "startswith" ? scalars.starts(with: affixScalars) : scalars.reversed().starts(with: affixScalars.reversed())
                if hit { return .bool(true) }
            }
            return .bool(false)
        case "upper": return .string(s.uppercased())
        case "lower": return .string(s.lowercased())
        case "title": return .string(PythonString.title(s))
        case "capitalize": return .string(PythonString.capitalize(s))
        case "replace":
            guard let old = try stringArgument(0, "old"), let new = try stringArgument(1, "new") else {
                throw ChatTemplateError(.runtime, "str.replace() takes two string arguments")
            }
            return .string(PythonString.replace(s, old, new, count: arguments.value(2, "count")?.integer ?? -1))
        case "find", "rfind":
            guard let needle = try stringArgument(0, "sub") else { throw ChatTemplateError(.runtime, "str.\(name)() takes a string") }
            return .int(PythonString.find(s, needle, last: name == "rfind") ?? -1)
        case "count":
            guard let needle = try stringArgument(0, "sub") else { throw ChatTemplateError(.runtime, "str.count() takes a string") }
            return .int(PythonString.count(s, needle))
        case "join":
            guard let items = arguments.value(0, "iterable") else { throw ChatTemplateError(.runtime, "str.join() takes one argument") }
            var parts: [String] = []
            for item in try items.iterated() {
                guard case .string(let part) = item.plain else {
                    throw ChatTemplateError(.runtime, "sequence item: expected str instance, \(item.typeName) found")
                }
                parts.append(part)
            }
            return .string(parts.joined(separator: s))
        case "format": return .string(try PythonFormat.format(s, arguments, escapingFields: false))
        case "isdigit": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType == .decimal })
        case "isalpha": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(\.properties.isAlphabetic))
        case "isalnum":
            return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
        case "isspace": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(\.properties.isWhitespace))
        case "isupper": return .bool(s.contains { $0.isCased } && s.uppercased() == s)
        case "islower": return .bool(s.contains { $0.isCased } && s.lowercased() == s)
        default: throw ChatTemplateError(.unsupported, "unsupported string method '\(name)'")
        }
    }
}
