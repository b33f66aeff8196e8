/// The tokens of one forward pass: any mix of prompt chunks and decode steps from different sequences.
///
/// Each entry says which KV-cache slot it belongs to and at which position; entries of one slot must have
/// consecutive positions following what that slot already holds.
public struct ForwardBatch: Sendable {
    /// Token ids.
    public var tokens: [Int32] = []
    /// Position of each token in its sequence.
    public var positions: [Int] = []
    /// KV-cache slot of each token.
    public var slots: [Int] = []
    /// Whether the logits after each token are wanted (usually the last token of each sequence).
    public var wantsLogits: [Bool] = []
    /// Whether the final hidden state of each token is wanted (for embeddings), written to ``ForwardState/hidden(row:)``
    /// at its batch row.
    public var wantsHidden: [Bool] = []
    /// Whether each token is a single decode step of its sequence rather than part of a prompt; its attention then
    /// sums in the order the reference engine uses for one token (see ``HalfDotOrder``).
    public var decoding: [Bool] = []

    /// An empty batch with room for `capacity` tokens.
    public init(capacity: Int = 0) {
        tokens.reserveCapacity(capacity)
        positions.reserveCapacity(capacity)
        slots.reserveCapacity(capacity)
        wantsLogits.reserveCapacity(capacity)
        wantsHidden.reserveCapacity(capacity)
        decoding.reserveCapacity(capacity)
    }

    /// Number of tokens.
    public var count: Int { tokens.count }

    /// Appends one token; `wantsHidden` asks for its final hidden state, `decoding` marks a sequence's one-token step (as
    /// opposed to a prompt token).
    public mutating func append(
        token: Int32, position: Int, slot: Int, wantsLogits: Bool, wantsHidden: Bool = false, decoding: Bool = false
    ) {
        tokens.append(token)
        positions.append(position)
        slots.append(slot)
        self.wantsLogits.append(wantsLogits)
        self.wantsHidden.append(wantsHidden)
        self.decoding.append(decoding)
    }

    /// Removes every token, keeping the storage.
    public mutating func removeAll() {
        tokens.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
        wantsLogits.removeAll(keepingCapacity: true)
        wantsHidden.removeAll(keepingCapacity: true)
        decoding.removeAll(keepingCapacity: true)
    }
}
