/// One character class of a split pattern (`[^\s\p{L}\p{N}]`, `\p{N}`, `'`), tested against a scalar's code.
///
/// Codes are those of ``ScalarText``: ASCII scalars are themselves, non-ASCII whitespace is U+000B and other non-ASCII
/// scalars are category codes. In a pattern that uses `\p{…}` a class sees nothing more of a non-ASCII scalar than its
/// category, as in llama.cpp; in a pattern without one, it compares the scalar's value with its non-ASCII ranges.
///
/// A set holds no references (its ranges live in the pattern's shared list), so testing one costs no reference counting.
struct ScalarSet: Sendable {
    /// Membership of codes 0..<64 and 64..<128, one bit each.
    private var asciiLow: UInt64 = 0
    private var asciiHigh: UInt64 = 0
    /// Membership of the category codes `0x80 + Category.rawValue`.
    private var categoryCodes: UInt64 = 0
    /// Where this set's non-ASCII ranges are in the pattern's list, for patterns that match by value.
    private var ranges: Range<Int32> = 0..<0
    private var negated = false
    /// Whether non-ASCII, non-whitespace scalars are matched by value (the pattern has no `\p{…}`).
    private var matchesByValue = false

    /// What a class names before it is closed; ``ScalarSet/init(_:negated:matchesByValue:)`` turns it into a set.
    struct Builder {
        var ascii = [Bool](repeating: false, count: 128)
        var categories: Set<ScalarText.Category> = []
        var ranges: [ClosedRange<UInt32>] = []

        mutating func add(_ range: ClosedRange<UInt32>) {
            for value in range.clamped(to: 0...0x7F) { ascii[Int(value)] = true }
            if range.upperBound >= 0x80 { ranges.append(max(range.lowerBound, 0x80)...range.upperBound) }
        }

        mutating func add(_ value: UInt32) { add(value...value) }

        /// `\p{…}`: the category, its ASCII members included.
        mutating func add(_ category: ScalarText.Category) {
            categories.insert(category)
            for value in 0..<UInt32(0x80) where ScalarText.category(of: value) == category { ascii[Int(value)] = true }
        }

        /// `\s` as `std::regex` has it: `\t \n \v \f \r` and space (non-ASCII whitespace arrives as `\v`).
        mutating func addWhitespace() {
            for value in [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20] { ascii[value] = true }
        }

        /// Makes ASCII letters match in either case, for `(?i:…)`.
        mutating func foldCase() {
            for value in 0..<128 where ascii[value] {
                let scalar = Unicode.Scalar(UInt8(value))
                if scalar.properties.isUppercase { ascii[value + 32] = true }
                if scalar.properties.isLowercase { ascii[value - 32] = true }
            }
        }
    }

    /// Closes a class; `negated` for `[^…]`. Its non-ASCII ranges are appended to `rangeList`.
    init(_ builder: Builder, negated: Bool, matchesByValue: Bool, rangeList: inout [ClosedRange<UInt32>]) {
        for value in 0..<128 where builder.ascii[value] != negated {
            if value < 64 { asciiLow |= 1 << UInt64(value) } else { asciiHigh |= 1 << UInt64(value - 64) }
        }
        for category in ScalarText.Category.allCases where builder.categories.contains(category) != negated {
            categoryCodes |= 1 << UInt64(category.rawValue)
        }
        ranges = Int32(rangeList.count)..<Int32(rangeList.count + builder.ranges.count)
        rangeList += builder.ranges
        self.negated = negated
        self.matchesByValue = matchesByValue
    }

    /// Whether some scalar with this code may be in the class (exact unless the class matches by value).
    func mayContain(code: UInt8) -> Bool {
        code < 128 || !matchesByValue ? contains(code: code, value: 0, rangeList: UnsafeBufferPointer(start: nil, count: 0)) : true
    }

    /// Whether the scalar with this code and value is in the class; `rangeList` is the pattern's list.
    @inline(__always)
    func contains(code: UInt8, value: UInt32, rangeList: UnsafeBufferPointer<ClosedRange<UInt32>>) -> Bool {
        if code < 64 { return asciiLow >> UInt64(code) & 1 != 0 }
        if code < 128 { return asciiHigh >> UInt64(code - 64) & 1 != 0 }
        if !matchesByValue { return categoryCodes >> UInt64(code - 128) & 1 != 0 }
        return rangeList[Int(ranges.lowerBound)..<Int(ranges.upperBound)].contains { $0.contains(value) } != negated
    }
}
