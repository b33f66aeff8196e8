import Synchronization
import TernOpenAI

/// What must happen once when a proxied stream ends — its deployment freed, its ledger row written and its
/// reservation settled — whether the body ran to its end, broke off, or was never written at all (the client left
/// before the response head): then it runs when the body is released, with no usage.
final class StreamEnd: Sendable {
    private let action: @Sendable (Usage?, Int) async -> OpenAIError?
    private let done = Atomic(false)

    init(_ action: @escaping @Sendable (_ usage: Usage?, _ status: Int) async -> OpenAIError?) {
        self.action = action
    }

    /// Runs the action the first time; later calls return nil.
    func run(usage: Usage?, status: Int) async -> OpenAIError? {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return nil }
        return await action(usage, status)
    }

    deinit {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let action = action
        // The client is gone (499): what was reserved is charged.
        Task { _ = await action(nil, 499) }
    }
}
