/// A string-keyed mapping that remembers insertion order, like a Python `dict`.
///
/// Equality ignores order, as in Python.
public struct TemplateObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// The keys in insertion order.
    public private(set) var keys: [String] = []
    private var storage: [String: TemplateValue] = [:]

    /// Creates an empty object.
    public init() {}

    /// Creates an object from key–value pairs; a repeated key keeps its first position and its last value.
    public init<S: Sequence>(_ pairs: S) where S.Element == (String, TemplateValue) {
        for (key, value) in pairs { self[key] = value }
    }

    /// Creates an object from a dictionary literal, keeping the literal's order.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self.init(elements)
    }

    /// The number of entries.
    public var count: Int { keys.count }

    /// The entries in insertion order.
    public var entries: [(key: String, value: TemplateValue)] { keys.map { ($0, storage[$0]!) } }

    /// Reads or writes a value; writing `nil` removes the key.
    public subscript(key: String) -> TemplateValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Order-insensitive equality, as for Python dicts.
    public static func == (lhs: TemplateObject, rhs: TemplateObject) -> Bool {
        lhs.storage == rhs.storage
    }
}
