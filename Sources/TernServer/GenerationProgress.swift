import Synchronization

/// Tokens generated so far by a request's sequences, readable from any task: what a request that ends early
/// (the client hung up) is charged for.
final class GenerationProgress: Sendable {
    private let tokens = Atomic<Int>(0)

    /// Counts one generated token.
    func addToken() {
        tokens.add(1, ordering: .relaxed)
    }

    /// Tokens generated so far.
    var completionTokens: Int { tokens.load(ordering: .relaxed) }
}
