/// A value passed into a chat template: the JSON-like data that templates read (`messages`, `tools`, flags, …).
///
/// Mirrors the Python values that Jinja2 templates are written against: `none` is Python's `None`, `int` and
/// `double` stay distinct (`1/2` is `0.5`, `7//2` is `3`), and objects keep their key order.
///
/// ```swift
/// let message: TemplateValue = ["role": "user", "content": "Hi"]
/// ```
public enum TemplateValue: Sendable, Equatable {
    /// Python's `None`.
    case none
    /// A boolean.
    case bool(Bool)
    /// An integer.
    case int(Int)
    /// A floating-point number.
    case double(Double)
    /// A string.
    case string(String)
    /// A list.
    case array([TemplateValue])
    /// A mapping with string keys in insertion order.
    case object(TemplateObject)
}

extension TemplateValue: ExpressibleByNilLiteral {
    /// Creates `.none`.
    public init(nilLiteral: ()) { self = .none }
}

extension TemplateValue: ExpressibleByBooleanLiteral {
    /// Creates `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension TemplateValue: ExpressibleByIntegerLiteral {
    /// Creates `.int`.
    public init(integerLiteral value: Int) { self = .int(value) }
}

extension TemplateValue: ExpressibleByFloatLiteral {
    /// Creates `.double`.
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension TemplateValue: ExpressibleByStringLiteral {
    /// Creates `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension TemplateValue: ExpressibleByArrayLiteral {
    /// Creates `.array`.
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
}

extension TemplateValue: ExpressibleByDictionaryLiteral {
    /// Creates `.object`, keeping the literal's key order.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self = .object(TemplateObject(elements))
    }
}
