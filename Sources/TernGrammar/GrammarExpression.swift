/// A piece of a grammar over bytes, as the compilers build it; ``GrammarBuilder`` lowers it to a ``Grammar``.
///
/// Recursion goes through named rules (``rule(_:)``); an expression must read at least one byte before it reaches
/// itself again (no left recursion), which the JSON Schema and pattern compilers guarantee by construction.
public indirect enum GrammarExpression: Sendable, Hashable {
    /// One byte out of a set.
    case bytes(ByteSet)
    /// Each part in turn; the empty sequence matches nothing and succeeds.
    case sequence([GrammarExpression])
    /// Any one of the alternatives.
    case choice([GrammarExpression])
    /// A named rule of the builder.
    case rule(Int)
    /// `min` to `max` (unbounded when `nil`) repetitions.
    case repeated(GrammarExpression, min: Int, max: Int?)

    /// Matches the empty string.
    public static let empty = GrammarExpression.sequence([])

    /// The UTF-8 bytes of `text`, in order.
    public static func literal(_ text: String) -> GrammarExpression {
        let parts = text.utf8.map { GrammarExpression.bytes(ByteSet($0...$0)) }
        return parts.count == 1 ? parts[0] : .sequence(parts)
    }

    /// One byte of the ASCII characters in `characters`.
    public static func oneOf(_ characters: String) -> GrammarExpression { .bytes(ByteSet(ascii: characters)) }

    /// One byte in `ranges`.
    public static func range(_ ranges: ClosedRange<UInt8>...) -> GrammarExpression {
        var set = ByteSet()
        for range in ranges { set.insert(range) }
        return .bytes(set)
    }

    /// Zero or one `self`.
    public var optional: GrammarExpression { .repeated(self, min: 0, max: 1) }
}
