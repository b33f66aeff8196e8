import Foundation
import Logging
import Synchronization
import TernOpenAI
import TernStore

/// The authenticated key of one request, its admission, its token reservation, and its one ledger row.
///
/// The access middleware creates it and admits the request (``admit()``), or leaves that to the route
/// (``RouteAccess/meteredWithTokens``: ``admit()``, or with its tokens); controllers reserve tokens once the prompt is known (``reserve(promptTokens:maxCompletionTokens:)``)
/// and commit the row just before the last byte of the response (``commit(status:usage:)``). Whatever path the
/// request takes, the row is written and an admitted request settled exactly once: the middleware commits for
/// requests that did not.
final class RequestAccess: Sendable {
    /// The key.
    let key: APIKey
    /// Its policy.
    let policy: KeyPolicy
    /// The API path.
    let endpoint: String
    private let control: AccessControl
    private let startedAt: Date
    /// Told the tokens charged, for the access log.
    private let log: RequestLogEntry

    private struct State {
        /// Set once the request is admitted.
        var ticket: RequestTicket?
        var model = ""
        var promptTokens = 0
        var reservation: TokenReservation?
        var progress: GenerationProgress?
        var committed = false
        var streaming = false
    }

    private let state = Mutex(State())

    /// For what cannot reach the client: a settlement of its limits or a ledger row that failed.
    private let logger: Logger

    init(
        key: APIKey, policy: KeyPolicy, endpoint: String, control: AccessControl, startedAt: Date,
        log: RequestLogEntry = RequestLogEntry(), logger: Logger
    ) {
        self.log = log
        self.logger = logger
        self.key = key
        self.policy = policy
        self.endpoint = endpoint
        self.control = control
        self.startedAt = startedAt
    }

    /// Records the model the request names, and refuses (403) a model the key may not use.
    func use(model: String, names: [String]) throws(OpenAIError) {
        state.withLock { $0.model = model }
        guard key.allows(model: names) else {
            throw OpenAIError(
                status: 403, message: "This API key may not use the model `\(model)`.", type: "invalid_request_error", code: "model_not_allowed")
        }
    }

    /// Admits the request (one request of the per-minute limit and a concurrency slot) if it is not yet; 429 when a
    /// limit refuses it.
    func admit() async throws {
        guard state.withLock({ $0.ticket == nil }) else { return }
        let admission: Result<RequestTicket, RateLimitRejection>
        do {
            admission = try await control.limits.admit(policy, now: Date())
        } catch {
            throw unavailable(error)
        }
        switch admission {
        case .success(let ticket): try await hold(ticket, reservation: nil)
        case .failure(let rejection): throw RateLimitHeaders.error(for: rejection)
        }
    }

    /// Holds the request's tokens (prompt plus the most it may generate) against the per-minute limit and the
    /// budget, admitting the request in the same step if it is not yet; 429 when a limit refuses it.
    func reserve(promptTokens: Int, maxCompletionTokens: Int) async throws {
        // Saturating: an upstream request's bound comes from what the client sent.
        let (sum, overflow) = promptTokens.addingReportingOverflow(maxCompletionTokens)
        let tokens = overflow ? Int.max / 2 : sum
        let admitted = state.withLock { state in
            state.promptTokens = promptTokens
            return state.ticket
        }
        let outcome: TokenAdmission
        do {
            if let admitted {
                switch try await control.limits.reserveTokens(admitted, tokens: tokens, now: Date()) {
                case .success(let reservation): outcome = .admitted(admitted, reservation)
                case .failure(let rejection): outcome = .refused(rejection, ticket: admitted)
                }
            } else {
                outcome = try await control.limits.admitAndReserve(policy, tokens: tokens, now: Date())
            }
        } catch {
            throw unavailable(error)
        }
        switch outcome {
        case .admitted(let ticket, let reservation):
            try await hold(ticket, reservation: reservation)
        case .refused(let rejection, let ticket):
            if let ticket { try await hold(ticket, reservation: nil) }
            throw RateLimitHeaders.error(for: rejection)
        }
    }

    /// Keeps what the limiter took for the request, for ``commit(status:usage:)`` to settle; if the request was
    /// committed while the limiter answered, settles it at once (no one else will) and ends the request.
    private func hold(_ ticket: RequestTicket, reservation: TokenReservation?) async throws {
        let committed = state.withLock { state in
            state.ticket = ticket
            state.reservation = reservation
            return state.committed
        }
        guard committed else { return }
        try? await control.limits.finish(ticket, reservation: reservation, usedTokens: 0, now: Date())
        throw CancellationError()
    }

    /// The 500 for a limiter that could not answer.
    private func unavailable(_ error: any Error) -> OpenAIError {
        logger.error("rate limits unavailable", metadata: ["error": "\(error)"])
        return OpenAIError.internalError("The server could not check this key's rate limits; try again.")
    }

    /// Reserves the tokens of `plan`: every prompt plus the most every choice may generate.
    func reserve(_ plan: GenerationPlan) async throws {
        try await reserve(
            promptTokens: plan.promptTokens.reduce(0, +), maxCompletionTokens: plan.sequences.reduce(0) { $0 + $1.request.maxTokens })
    }

    /// ``commit(status:usage:)`` for a whole response: a failure to record becomes a 500 instead of the answer.
    func commitOrFail(status: Int, usage: Usage) async throws(OpenAIError) {
        do {
            try await commit(status: status, usage: usage)
        } catch {
            logger.error("usage not recorded", metadata: ["error": "\(error)"])
            throw AccessMiddleware.ledgerFailure
        }
    }

    /// ``commit(status:usage:)`` for a stream: the error to end the stream with when the row cannot be written.
    func commitReportingFailure(status: Int, usage: Usage) async -> OpenAIError? {
        do {
            try await commit(status: status, usage: usage)
            return nil
        } catch {
            logger.error("usage not recorded", metadata: ["error": "\(error)"])
            return AccessMiddleware.ledgerFailure
        }
    }

    /// Follows the generation, so that an early end is charged for what was generated.
    func track(_ progress: GenerationProgress) {
        state.withLock { $0.progress = progress }
    }

    /// The response is a stream: the controller commits inside the body; the middleware only if it did not.
    func markStreaming() {
        state.withLock { $0.streaming = true }
    }

    var isStreaming: Bool { state.withLock { $0.streaming } }

    /// Writes the request's ledger row (durably) and settles its reservation; only the first call does anything.
    ///
    /// - Parameter usage: the tokens the response reports; nil for a request that ended without one (an error, a
    ///   hang-up), which is charged its prompt (if generation started) and what was generated.
    func commit(status: Int, usage: Usage? = nil) async throws {
        let taken: State? = state.withLock { state in
            guard !state.committed else { return nil }
            state.committed = true
            return state
        }
        guard let taken else { return }
        // Without a usage the prompt counts only if generation started (a refusal by the scheduler costs nothing).
        let prompt = usage?.promptTokens ?? (taken.progress != nil ? taken.promptTokens : 0)
        let completion = usage?.completionTokens ?? taken.progress?.completionTokens ?? 0
        log.charged(promptTokens: prompt, completionTokens: completion)
        let record = UsageRecord(
            keyID: key.id, model: taken.model, endpoint: endpoint, status: status, promptTokens: prompt, cachedTokens: usage?.cachedTokens ?? 0,
            completionTokens: completion, startedAt: startedAt, finishedAt: Date())
        // In a task of its own: the caller's may be cancelled (a client that hangs up cancels the run that commits),
        // and the row must be written all the same.
        let (ledger, limits, logger) = (control.ledger, control.limits, logger)
        try await Task(executorPreference: EventLoopTaskExecutor.current) {
            // A request refused before it was admitted has nothing to settle.
            guard let ticket = taken.ticket else { return try await ledger.record(record) }
            let unsettled = try await limits.finish(
                ticket, reservation: taken.reservation, usedTokens: prompt + completion, now: Date(), recording: record, in: ledger)
            if let unsettled { logger.error("rate limits not settled", metadata: ["error": "\(unsettled)"]) }
        }.value
    }
}
