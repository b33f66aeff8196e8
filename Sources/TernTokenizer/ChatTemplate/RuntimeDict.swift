/// A dictionary that keeps insertion order, like Python's `dict`.
///
/// Keys are Python's hashable scalars: strings, numbers, booleans and `None`. Equal numbers are one key (`1`, `1.0`
/// and `True`), which keeps the first spelling, as in Python.
struct RuntimeDict {
    /// What makes two keys the same key.
    enum HashKey: Hashable {
        case string(String)
        case int(Int)
        case double(Double)
        case none
    }

    private(set) var keys: [RuntimeValue] = []
    private var storage: [HashKey: (index: Int, value: RuntimeValue)] = [:]

    var count: Int { keys.count }
    var entries: [(key: RuntimeValue, value: RuntimeValue)] {
        keys.map { key in (key, storage[Self.hashKey(key)!]!.value) }
    }

    /// The hash key of a value, or nil when Python could not hash it (lists, dicts, …).
    static func hashKey(_ value: RuntimeValue) -> HashKey? {
        switch value {
        case .string(let s), .markup(let s): .string(s)
        case .int(let i): .int(i)
        case .bool(let b): .int(b ? 1 : 0)
        case .double(let d): d.rounded() == d && abs(d) < 9.2e18 ? .int(Int(d)) : .double(d)
        case .none: HashKey.none
        default: nil
        }
    }

    /// The hash key of a value, or Python's error for an unhashable one.
    static func requireHashKey(_ value: RuntimeValue) throws(ChatTemplateError) -> HashKey {
        guard let key = hashKey(value) else { throw ChatTemplateError(.runtime, "unhashable type: '\(value.typeName)'") }
        return key
    }

    subscript(key: String) -> RuntimeValue? {
        get { storage[.string(key)]?.value }
        set { set(.string(key), as: .string(key), newValue) }
    }

    /// Reads or writes the value of a hashable key (`nil` for others when reading; writing one is a programmer error).
    subscript(key: RuntimeValue) -> RuntimeValue? {
        get { Self.hashKey(key).flatMap { storage[$0]?.value } }
        set {
            guard let hash = Self.hashKey(key) else { preconditionFailure("unhashable dict key \(key.typeName)") }
            set(hash, as: key, newValue)
        }
    }

    private mutating func set(_ hash: HashKey, as key: RuntimeValue, _ value: RuntimeValue?) {
        if let value {
            if let existing = storage[hash] {
                storage[hash] = (existing.index, value)
            } else {
                storage[hash] = (keys.count, value)
                keys.append(key)
            }
        } else if let removed = storage.removeValue(forKey: hash) {
            keys.remove(at: removed.index)
            for (other, entry) in storage where entry.index > removed.index { storage[other] = (entry.index - 1, entry.value) }
        }
    }
}
