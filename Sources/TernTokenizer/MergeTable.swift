/// BPE merges by the pair of symbols they join: open addressing over `left << 32 | right` keys.
///
/// Merge lookups are most of the work of encoding; a `Dictionary<UInt64, …>` spends it hashing with SipHash, which
/// this table replaces with one multiplication.
struct MergeTable: Sendable {
    /// The result of merging one pair.
    struct Merge: Sendable {
        var rank: Int32
        var result: Int32
    }

    private static let empty = UInt64.max
    private var keys: [UInt64]
    private var merges: [Merge]
    private var shift: UInt64
    private(set) var count = 0

    /// Creates a table with room for `capacity` merges without growing.
    init(capacity: Int) {
        var bits = 4
        while 1 << bits < capacity * 2 { bits += 1 }
        keys = Array(repeating: Self.empty, count: 1 << bits)
        merges = Array(repeating: Merge(rank: 0, result: 0), count: 1 << bits)
        shift = UInt64(64 - bits)
    }

    /// The merge of `left` then `right`, if any.
    @inline(__always)
    func merge(_ left: Int32, _ right: Int32) -> Merge? {
        let key = Self.key(left, right)
        var slot = slot(for: key)
        while true {
            let found = keys[slot]
            if found == key { return merges[slot] }
            if found == Self.empty { return nil }
            slot = (slot + 1) & (keys.count - 1)
        }
    }

    /// Adds a merge unless the pair already has one (the first, best-ranked merge of a pair wins, as in llama.cpp).
    mutating func insertIfAbsent(_ left: Int32, _ right: Int32, _ merge: Merge) {
        if (count + 1) * 2 > keys.count { grow() }
        let key = Self.key(left, right)
        var slot = slot(for: key)
        while keys[slot] != Self.empty {
            if keys[slot] == key { return }
            slot = (slot + 1) & (keys.count - 1)
        }
        keys[slot] = key
        merges[slot] = merge
        count += 1
    }

    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Fibonacci hashing: the top bits of the key times 2^64 / φ.
    private func slot(for key: UInt64) -> Int {
        Int((key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    private mutating func grow() {
        let old = zip(keys, merges).filter { $0.0 != Self.empty }
        self = MergeTable(capacity: keys.count)
        for (key, merge) in old { insertIfAbsent(Int32(bitPattern: UInt32(key >> 32)), Int32(bitPattern: UInt32(truncatingIfNeeded: key)), merge) }
    }
}
