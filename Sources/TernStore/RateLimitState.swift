public import Foundation

/// Per-key admission: requests and tokens per minute, concurrent requests, token budgets.
///
/// A request is admitted once (``admit(_:now:)``: a request and a concurrency slot), reserves its tokens once the
/// prompt is known (``reserveTokens(_:tokens:now:)``: prompt plus the most it may generate), and finishes once
/// (``finish(_:reservation:usedTokens:now:)``: the reservation is settled with the real count, the slot freed).
/// Implementations must make the check and the reservation one atomic step, so that racing requests never
/// overrun a limit or a budget.
public protocol RateLimitState: Sendable {
    /// Takes a request and a concurrency slot, or says which limit refuses it.
    func admit(_ policy: KeyPolicy, now: Date) async throws -> Result<RequestTicket, RateLimitRejection>
    /// Reserves `tokens` against the tokens-per-minute limit and the budget, or says which refuses them.
    func reserveTokens(_ ticket: RequestTicket, tokens: Int, now: Date) async throws -> Result<TokenReservation, RateLimitRejection>
    /// Ends a request: frees its slot and settles its reservation (if any) with `usedTokens`.
    func finish(_ ticket: RequestTicket, reservation: TokenReservation?, usedTokens: Int, now: Date) async throws
    /// ``admit(_:now:)`` and then, if admitted, ``reserveTokens(_:tokens:now:)``: one round trip where the state is
    /// in a database.
    func admitAndReserve(_ policy: KeyPolicy, tokens: Int, now: Date) async throws -> TokenAdmission
    /// ``finish(_:reservation:usedTokens:now:)`` and `ledger`'s ``UsageLedger/record(_:)`` of the request's row: where
    /// the state is kept in the ledger's own database, an implementation may make them one round trip (the settlement
    /// committed, then the row); by default the two side by side.
    ///
    /// Throws when the row could not be written. Side by side, a settlement that failed alone is returned for the
    /// caller to log (the row was written all the same: the tokens were spent either way); in one round trip it
    /// throws too, having written no row. Nil when both were done.
    func finish(
        _ ticket: RequestTicket, reservation: TokenReservation?, usedTokens: Int, now: Date, recording record: UsageRecord,
        in ledger: any UsageLedger
    ) async throws -> (any Error)?
    /// The limits and what is left of them, for the `x-ratelimit-*` headers, as this process last saw them (without
    /// asking a database).
    func snapshot(_ policy: KeyPolicy, now: Date) -> RateLimitSnapshot
}

extension RateLimitState {
    public func finish(
        _ ticket: RequestTicket, reservation: TokenReservation?, usedTokens: Int, now: Date, recording record: UsageRecord,
        in ledger: any UsageLedger
    ) async throws -> (any Error)? {
        try await finishApart(ticket, reservation: reservation, usedTokens: usedTokens, now: now, recording: record, in: ledger)
    }

    /// ``finish(_:reservation:usedTokens:now:recording:in:)`` as two calls, the settlement beside the write so that
    /// the two wait for their databases at the same time.
    public func finishApart(
        _ ticket: RequestTicket, reservation: TokenReservation?, usedTokens: Int, now: Date, recording record: UsageRecord,
        in ledger: any UsageLedger
    ) async throws -> (any Error)? {
        async let settled: (any Error)? = {
            do {
                try await finish(ticket, reservation: reservation, usedTokens: usedTokens, now: now)
                return nil
            } catch {
                return error
            }
        }()
        var failure: (any Error)?
        do { try await ledger.record(record) } catch { failure = error }
        let settlement = await settled
        if let failure { throw failure }
        return settlement
    }

    /// The two steps one after the other: state in memory has no round trip to save.
    public func admitAndReserve(_ policy: KeyPolicy, tokens: Int, now: Date) async throws -> TokenAdmission {
        let ticket: RequestTicket
        switch try await admit(policy, now: now) {
        case .success(let admitted): ticket = admitted
        case .failure(let rejection): return .refused(rejection, ticket: nil)
        }
        let reservation: Result<TokenReservation, RateLimitRejection>
        do {
            reservation = try await reserveTokens(ticket, tokens: tokens, now: now)
        } catch {
            // The caller never sees this ticket: free its slot here.
            try? await finish(ticket, reservation: nil, usedTokens: 0, now: now)
            throw error
        }
        switch reservation {
        case .success(let held): return .admitted(ticket, held)
        case .failure(let rejection): return .refused(rejection, ticket: ticket)
        }
    }
}

/// The limits that apply to one key (its own, or the server's defaults).
public struct KeyPolicy: Sendable, Equatable {
    /// The key's id.
    public var keyID: String
    /// Effective limits; nil for none.
    public var limits: KeyLimits
    /// The key's budget.
    public var budget: TokenBudget?

    /// The policy of `key`, with missing limits taken from `defaults`.
    public init(key: APIKey, defaults: KeyLimits) {
        keyID = key.id
        limits = key.limits.filled(from: defaults)
        budget = key.budget
    }

    /// A policy from its parts.
    public init(keyID: String, limits: KeyLimits, budget: TokenBudget? = nil) {
        self.keyID = keyID
        self.limits = limits
        self.budget = budget
    }
}

/// An admitted request; hand it back to ``RateLimitState/finish(_:reservation:usedTokens:now:)`` exactly once.
public struct RequestTicket: Sendable, Equatable {
    /// The policy the request was admitted under.
    public var policy: KeyPolicy
    /// The request's row in a shared database; 0 in memory.
    public var id: Int = 0
}

/// Tokens held for a running request.
public struct TokenReservation: Sendable, Equatable {
    /// Tokens held against the per-minute limit and the budget.
    public var tokens: Int
    /// The start of the budget period they were held in; nil when the key has no budget.
    public var budgetPeriodStart: Date?
}

/// Why a request was refused.
public enum RateLimitRejection: Error, Sendable, Equatable {
    /// Requests per minute; retry after the given seconds.
    case requests(limit: Int, retryAfter: Double)
    /// Tokens per minute; retry after the given seconds, or nil when the request alone is more than the limit.
    case tokens(limit: Int, requested: Int, retryAfter: Double?)
    /// Too many requests of this key are running.
    case concurrency(limit: Int)
    /// The budget cannot cover the request.
    case budget(TokenBudget, remaining: Int, requested: Int, resetsAt: Date)
}

/// Limits and remainders as OpenAI's `x-ratelimit-*` headers carry them.
public struct RateLimitSnapshot: Sendable, Equatable {
    /// One limit: its size, what is left, and the seconds until it is full again.
    public struct Limit: Sendable, Equatable {
        /// The limit per minute.
        public var limit: Int
        /// Left now.
        public var remaining: Int
        /// Seconds until `remaining == limit`.
        public var resetSeconds: Double
    }

    /// Requests per minute; nil when unlimited.
    public var requests: Limit?
    /// Tokens per minute; nil when unlimited.
    public var tokens: Limit?
}
