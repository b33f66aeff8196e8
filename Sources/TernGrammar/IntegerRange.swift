/// The decimal integers between two bounds as a grammar (no leading zeros, no `-0`), for `integer` schemas with
/// `minimum`/`maximum`. An open bound stops at ``JSONText/maxIntegerDigits`` digits.
enum IntegerRange {
    /// The integers in `lower...upper` (`nil`: unbounded on that side); `nil` when there are none.
    static func grammar(lower: Int64?, upper: Int64?) -> GrammarExpression? {
        let limit = largest(digits: JSONText.maxIntegerDigits)
        let low = max(lower ?? -limit, -limit)
        let high = min(upper ?? limit, limit)
        guard low <= high else { return nil }
        var branches: [GrammarExpression] = []
        if low < 0 {
            // -(a...b) with 1 ≤ a ≤ b.
            let a = high < 0 ? -high : 1
            branches.append(.sequence([.literal("-"), nonNegative(UInt64(a), UInt64(-low))]))
        }
        if high >= 0 { branches.append(nonNegative(UInt64(max(low, 0)), UInt64(high))) }
        return branches.count == 1 ? branches[0] : .choice(branches)
    }

    static func largest(digits: Int) -> Int64 {
        var value: Int64 = 0
        for _ in 0..<digits { value = value * 10 + 9 }
        return value
    }

    /// `low...high`, both ≥ 0, split by digit count.
    static func nonNegative(_ low: UInt64, _ high: UInt64) -> GrammarExpression {
        var branches: [GrammarExpression] = []
        var start = low
        while start <= high {
            let digits = String(start).count
            let top = UInt64(largest(digits: digits))
            let end = min(high, top)
            branches.append(sameLength(Array(String(start).utf8), Array(String(end).utf8)))
            if end == high { break }
            start = end + 1
        }
        return branches.count == 1 ? branches[0] : .choice(branches)
    }

    /// The digit strings of one length between `low` and `high` (as text, equal lengths).
    static func sameLength(_ low: [UInt8], _ high: [UInt8]) -> GrammarExpression {
        guard let first = low.first, let last = high.first else { return .empty }
        let restLow = Array(low.dropFirst())
        let restHigh = Array(high.dropFirst())
        if first == last { return .sequence([.range(first...first), sameLength(restLow, restHigh)]) }
        let zeros = [UInt8](repeating: 0x30, count: restLow.count)
        let nines = [UInt8](repeating: 0x39, count: restLow.count)
        let anyRest = GrammarExpression.repeated(.range(0x30...0x39), min: restLow.count, max: restLow.count)
        var branches: [GrammarExpression] = []
        // The low digit with a constrained rest, unless the rest is all zeros (then it joins the middle).
        var middleLow = first + 1
        if restLow != zeros {
            branches.append(.sequence([.range(first...first), sameLength(restLow, nines)]))
        } else {
            middleLow = first
        }
        var middleHigh = last - 1
        let highBranch: GrammarExpression?
        if restHigh != nines {
            highBranch = .sequence([.range(last...last), sameLength(zeros, restHigh)])
        } else {
            middleHigh = last
            highBranch = nil
        }
        if middleLow <= middleHigh { branches.append(.sequence([.range(middleLow...middleHigh), anyRest])) }
        if let highBranch { branches.append(highBranch) }
        return branches.count == 1 ? branches[0] : .choice(branches)
    }
}
