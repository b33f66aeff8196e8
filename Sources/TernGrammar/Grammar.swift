/// A grammar over bytes in the flat form that ``GrammarMatcher`` walks.
///
/// Each rule is a list of alternatives; an alternative is a run of ``elements`` that ends with ``end``. An element is
/// a byte set (an index into ``byteSets``, ≥ 0), ``end`` (−1), or a reference to a rule (−2 − rule). Build one with
/// ``GrammarBuilder``.
public struct Grammar: Sendable {
    /// The element that ends an alternative.
    static let end: Int32 = -1

    /// Every alternative of every rule, one after another.
    let elements: [Int32]
    /// The byte sets the elements point at.
    let byteSets: [ByteSet]
    /// The first element of each alternative, rule after rule.
    let alternativeStarts: [Int32]
    /// Rule `r`'s alternatives are `alternativeStarts[ruleAlternatives[2r]..<ruleAlternatives[2r + 1]]`.
    let ruleAlternatives: [Int32]
    /// The rule a document is.
    let root: Int32

    @inline(__always) static func reference(_ rule: Int32) -> Int32 { -2 - rule }
    @inline(__always) static func referencedRule(_ element: Int32) -> Int32 { -2 - element }

    /// Whether `bytes` is a complete document of this grammar (for tests and checks; masks use ``GrammarMatcher``).
    public func accepts(_ bytes: some Sequence<UInt8>) -> Bool {
        var matcher = GrammarMatcher(grammar: self)
        for byte in bytes where !matcher.advance(byte) { return false }
        return matcher.isAccepting
    }
}
