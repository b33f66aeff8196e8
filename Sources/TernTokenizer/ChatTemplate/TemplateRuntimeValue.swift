/// A value while a template runs: ``TemplateValue`` plus Jinja2's runtime-only kinds (undefined, namespaces,
/// callables).
enum RuntimeValue {
    /// Jinja2's default `Undefined`; `reason` is the error raised when it is used in a way that needs a value.
    case undefined(reason: String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    /// markupsafe's `Markup`: a string marked safe for HTML (`|safe`, `|escape`). Adding a plain string to it escapes
    /// that string; most other operations see it as a plain string (``plain``).
    case markup(String)
    case array([RuntimeValue])
    case dict(RuntimeDict)
    case namespace(TemplateNamespace)
    case callable(TemplateCallable)
    case iterator(TemplateIterator)

    init(_ value: TemplateValue) {
        switch value {
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(RuntimeValue.init))
        case .object(let o):
            var dict = RuntimeDict()
            for (key, value) in o.entries { dict[key] = RuntimeValue(value) }
            self = .dict(dict)
        }
    }

    static func undefinedName(_ name: String) -> RuntimeValue { .undefined(reason: "'\(name)' is undefined") }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .markup: "Markup"
        case .array: "list"
        case .dict: "dict"
        case .namespace: "Namespace"
        case .callable: "function"
        case .iterator(let iterator): iterator.typeName
        }
    }

    /// How Jinja2 names a value's type in an undefined value's message: `None`, `dict object`.
    var objectTypeRepr: String {
        if case .none = self { return "None" }
        return "\(typeName) object"
    }

    /// A `Markup` string as the plain string most operations see; any other value unchanged.
    var plain: RuntimeValue {
        if case .markup(let s) = self { return .string(s) }
        return self
    }

    /// markupsafe's `escape(value)`: a `Markup` string as it is, anything else as its HTML-escaped text.
    var htmlEscaped: String {
        if case .markup(let s) = self { return s }
        return TemplateRenderer.htmlEscape(pythonString)
    }

    /// A string result as `Markup` (what markupsafe's string methods return for a `Markup` string).
    var markup: RuntimeValue {
        if case .string(let s) = self { return .markup(s) }
        return self
    }

    var isMarkup: Bool {
        if case .markup = self { return true }
        return false
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let d): d != 0
        case .string(let s), .markup(let s): !s.isEmpty
        case .array(let a): !a.isEmpty
        case .dict(let d): d.count > 0
        case .namespace, .callable, .iterator: true
        }
    }

    /// The numeric value of `bool`, `int` and `float` (Python treats `True` as `1`).
    var number: Double? {
        switch self {
        case .bool(let b): b ? 1 : 0
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    /// The integer value of `bool` and `int`.
    var integer: Int? {
        switch self {
        case .bool(let b): b ? 1 : 0
        case .int(let i): i
        default: nil
        }
    }

    /// Back to the public value type; runtime-only kinds become `nil`.
    var templateValue: TemplateValue? {
        switch self {
        case .undefined, .namespace, .callable, .iterator: nil
        case .none: TemplateValue.none
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s), .markup(let s): .string(s)
        case .array(let a):
            .array(a.compactMap(\.templateValue))
        case .dict(let d):
            .object(TemplateObject(d.entries.compactMap { key, value in value.templateValue.map { (key.pythonString, $0) } }))
        }
    }
}

/// The mutable object made by `namespace()`: the one thing a template may change from inside a loop.
final class TemplateNamespace {
    var attributes = RuntimeDict()
}

/// A function a template can call: a global (`range`, `raise_exception`), a bound method, or a macro.
final class TemplateCallable {
    typealias Body = (CallArguments, TemplateRenderer) throws(ChatTemplateError) -> RuntimeValue
    let name: String
    let body: Body

    init(_ name: String, _ body: @escaping Body) {
        self.name = name
        self.body = body
    }
}

/// Evaluated call arguments.
struct CallArguments {
    var positional: [RuntimeValue] = []
    var keyword: [(name: String, value: RuntimeValue)] = []

    /// The argument at `index`, or the keyword argument `name`.
    func value(_ index: Int, _ name: String) -> RuntimeValue? {
        if index < positional.count { return positional[index] }
        return keyword.last { $0.name == name }?.value
    }

    /// The arguments with `Markup` strings as plain strings.
    var plain: CallArguments {
        CallArguments(positional: positional.map(\.plain), keyword: keyword.map { ($0.name, $0.value.plain) })
    }

    /// Throws if more positional arguments than `max` or a keyword not in `names` was given.
    func check(_ function: String, max: Int, names: [String] = []) throws(ChatTemplateError) {
        if positional.count > max {
            throw ChatTemplateError(.runtime, "\(function)() takes at most \(max) positional arguments (\(positional.count) given)")
        }
        if let unknown = keyword.first(where: { !names.contains($0.name) }) {
            throw ChatTemplateError(.runtime, "\(function)() got an unexpected keyword argument '\(unknown.name)'")
        }
    }
}
