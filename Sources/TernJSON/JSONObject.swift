/// The members of a JSON object, in the order the document wrote them.
///
/// Order matters to Tern where the document is a schema (properties are generated in the declared order) or is
/// rendered back into text (a chat template's `tojson`). Equality and hashing ignore the order, as JSON does.
///
/// ```swift
/// let object: JSONObject = ["b": .integer(1), "a": .null]
/// object.keys      // ["b", "a"]
/// object["a"]      // .null
/// ```
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// The keys in document order, each once.
    public private(set) var keys: [String]
    private var values: [String: JSONValue]

    /// An empty object.
    public init() {
        keys = []
        values = [:]
    }

    /// An object with `members` in their order; when a key repeats, the last value wins at the first position.
    public init(_ members: some Sequence<(String, JSONValue)>) {
        self.init()
        for (key, value) in members { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    /// The value for `key`; setting a new key appends it, setting `nil` removes it.
    public subscript(key: String) -> JSONValue? {
        get { values[key] }
        set {
            if let newValue {
                if values.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// The number of members.
    public var count: Int { keys.count }
    /// Whether the object has no members.
    public var isEmpty: Bool { keys.isEmpty }

    /// The members in document order.
    public func makeIterator() -> Iterator { Iterator(object: self) }

    /// Walks the members in document order.
    public struct Iterator: IteratorProtocol {
        let object: JSONObject
        var index = 0

        public mutating func next() -> (key: String, value: JSONValue)? {
            guard index < object.keys.count else { return nil }
            let key = object.keys[index]
            index += 1
            return (key, object.values[key]!)
        }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool { lhs.values == rhs.values }
    public func hash(into hasher: inout Hasher) { hasher.combine(values) }
}
