/// Python's `str.format` (what Jinja2's sandbox calls for `'<{}>'.format(x)`): `{}`, `{0}`, `{name}`, `{{`, `}}` and
/// the `!s`/`!r` conversions. Format specifications (`{:>8}`) are not provided and fail with an `unsupported` error.
///
/// `escapingFields` is `Markup.format`: each field's text is HTML-escaped unless the value is `Markup`.
enum PythonFormat {
    static func format(_ template: String, _ arguments: CallArguments, escapingFields: Bool) throws(ChatTemplateError) -> String {
        let scalars = Array(template.unicodeScalars)
        var out = String.UnicodeScalarView()
        var automatic: Int?
        var manual = false
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "}" {
                guard i + 1 < scalars.count, scalars[i + 1] == "}" else {
                    throw ChatTemplateError(.runtime, "Single '}' encountered in format string")
                }
                out.append("}")
                i += 2
                continue
            }
            guard c == "{" else {
                out.append(c)
                i += 1
                continue
            }
            if i + 1 < scalars.count, scalars[i + 1] == "{" {
                out.append("{")
                i += 2
                continue
            }
            guard let close = scalars[(i + 1)...].firstIndex(of: "}") else {
                throw ChatTemplateError(.runtime, "expected '}' before end of string")
            }
            let field = String(String.UnicodeScalarView(scalars[(i + 1)..<close]))
            i = close + 1
            var name = field
            var conversion: Character?
            if let colon = name.firstIndex(of: ":") {
                throw ChatTemplateError(.unsupported, "str.format() specification '\(name[name.index(after: colon)...])' is not supported")
            }
            if let bang = name.firstIndex(of: "!") {
                let rest = name[name.index(after: bang)...]
                guard rest.count == 1, let letter = rest.first, "rsa".contains(letter) else {
                    throw ChatTemplateError(.runtime, "Unknown conversion specifier \(rest)")
                }
                guard letter != "a" else { throw ChatTemplateError(.unsupported, "str.format() conversion '!a' is not supported") }
                conversion = letter
                name = String(name[..<bang])
            }
            let value: RuntimeValue
            if name.isEmpty {
                guard !manual else {
                    throw ChatTemplateError(.runtime, "cannot switch from manual field specification to automatic field numbering")
                }
                let index = automatic ?? 0
                automatic = index + 1
                value = try positional(index, arguments)
            } else if let index = Int(name), name.allSatisfy(\.isASCII) {
                guard automatic == nil else {
                    throw ChatTemplateError(.runtime, "cannot switch from automatic field numbering to manual field specification")
                }
                manual = true
                value = try positional(index, arguments)
            } else {
                guard let found = arguments.keyword.last(where: { $0.name == name }) else { throw ChatTemplateError(.runtime, "'\(name)'") }
                value = found.value
            }
            var text = conversion == "r" ? value.pythonRepr : value.pythonString
            if escapingFields, conversion == "r" || !value.isMarkup { text = TemplateRenderer.htmlEscape(text) }
            out.append(contentsOf: text.unicodeScalars)
        }
        return String(out)
    }

    private static func positional(_ index: Int, _ arguments: CallArguments) throws(ChatTemplateError) -> RuntimeValue {
        guard index < arguments.positional.count else {
            throw ChatTemplateError(.runtime, "tuple index out of range")
        }
        return arguments.positional[index]
    }
}
