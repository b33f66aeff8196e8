/// A set of byte values: what one step of a grammar may read.
public struct ByteSet: Sendable, Hashable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// The empty set.
    public init() {}

    /// The bytes of `ranges`.
    public init(_ ranges: ClosedRange<UInt8>...) {
        for range in ranges { insert(range) }
    }

    /// The single byte of an ASCII character.
    public init(ascii characters: String) {
        for byte in characters.utf8 { insert(byte...byte) }
    }

    /// Adds `range`.
    public mutating func insert(_ range: ClosedRange<UInt8>) {
        for byte in range { set(byte) }
    }

    /// Adds every byte of `other`.
    public mutating func formUnion(_ other: ByteSet) {
        words.0 |= other.words.0
        words.1 |= other.words.1
        words.2 |= other.words.2
        words.3 |= other.words.3
    }

    /// The bytes in both sets.
    public func intersecting(_ other: ByteSet) -> ByteSet {
        var result = ByteSet()
        result.words = (words.0 & other.words.0, words.1 & other.words.1, words.2 & other.words.2, words.3 & other.words.3)
        return result
    }

    /// Removes `byte`.
    public mutating func remove(_ byte: UInt8) {
        let bit = ~(UInt64(1) << UInt64(byte & 63))
        switch byte >> 6 {
        case 0: words.0 &= bit
        case 1: words.1 &= bit
        case 2: words.2 &= bit
        default: words.3 &= bit
        }
    }

    /// The bytes not in this set.
    public var inverted: ByteSet {
        var result = ByteSet()
        result.words = (~words.0, ~words.1, ~words.2, ~words.3)
        return result
    }

    /// Whether `byte` is in the set.
    @inline(__always)
    public func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    /// Whether the set has no byte.
    public var isEmpty: Bool { words.0 | words.1 | words.2 | words.3 == 0 }

    private mutating func set(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    public static func == (lhs: ByteSet, rhs: ByteSet) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
