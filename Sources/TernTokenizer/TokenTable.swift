/// Token ids by the exact bytes of a text, looked up without allocating.
///
/// A `[String: Int32]` would not do: Swift compares strings by canonical equivalence, so a vocabulary's `é` and
/// `e` + U+0301 would be one key, where llama.cpp's `std::map<std::string, …>` keeps them apart.
struct TokenTable: Sendable {
    /// All keys, back to back; entry `i`'s key is `keyBytes[keyStarts[i]..<keyStarts[i + 1]]`.
    private var keyBytes: [UInt8] = []
    private var keyStarts: [Int] = [0]
    private var values: [Int32] = []
    /// Open addressing: entry index + 1, or 0 for an empty slot.
    private var slots: [Int32] = Array(repeating: 0, count: 16)

    /// The number of keys.
    var count: Int { values.count }

    /// Creates an empty table sized for about `capacity` keys.
    init(capacity: Int = 0) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        slots = Array(repeating: 0, count: size)
        keyStarts.reserveCapacity(capacity + 1)
        values.reserveCapacity(capacity)
    }

    /// Maps `key` to `value`, replacing an earlier value (later duplicates win, as in llama.cpp).
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, _ value: Int32) {
        if let slot = slot(of: key), slots[slot] != 0 {
            values[Int(slots[slot]) - 1] = value
            return
        }
        if (values.count + 1) * 2 > slots.count { grow() }
        keyBytes.append(contentsOf: key)
        keyStarts.append(keyBytes.count)
        values.append(value)
        place(values.count - 1)
    }

    /// Maps the UTF-8 of `key` to `value`.
    mutating func insert(_ key: String, _ value: Int32) {
        var key = key
        key.withUTF8 { insert($0, value) }
    }

    /// The value of `key`, if present.
    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard let slot = slot(of: key), slots[slot] != 0 else { return nil }
        return values[Int(slots[slot]) - 1]
    }

    /// The value of the UTF-8 of `key`, if present.
    func lookup(_ key: String) -> Int32? {
        var key = key
        return key.withUTF8 { lookup($0) }
    }

    /// The slot holding `key`, or the empty slot where it would go.
    private func slot(of key: UnsafeBufferPointer<UInt8>) -> Int? {
        let mask = slots.count - 1
        var slot = Self.hash(key) & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 || keyEquals(entry - 1, key) { return slot }
            slot = (slot + 1) & mask
        }
    }

    private func keyEquals(_ entry: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = keyStarts[entry]
        guard keyStarts[entry + 1] - start == key.count else { return false }
        for offset in 0..<key.count where keyBytes[start + offset] != key[offset] { return false }
        return true
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        for entry in values.indices { place(entry) }
    }

    /// Puts an entry whose key is not in the table yet into the first free slot of its probe sequence.
    private mutating func place(_ entry: Int) {
        let mask = slots.count - 1
        let hash = keyBytes.withUnsafeBufferPointer {
            Self.hash(UnsafeBufferPointer(rebasing: $0[keyStarts[entry]..<keyStarts[entry + 1]]))
        }
        var slot = hash & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(entry + 1)
    }

    /// FNV-1a: keys are short, so a byte-at-a-time hash is fast enough.
    private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Int(truncatingIfNeeded: hash ^ hash >> 32)
    }
}
