public import Foundation
import Synchronization

/// ``RateLimitState`` for one server process: token buckets, slot counts and budget totals per key, behind a lock.
///
/// Budgets start from the ledger (what the key used earlier in the period, also before a restart) and then
/// count in memory: the total used plus everything reserved by running requests never exceeds the budget.
public final class InMemoryRateLimitState: RateLimitState {
    private struct KeyState {
        var requests: TokenBucket?
        var tokens: TokenBucket?
        var running = 0
        var budget: BudgetState?
    }

    private struct BudgetState {
        var periodStart: Date
        /// Tokens of finished requests in this period (from the ledger, then counted here).
        var used: Int
        /// Tokens held by running requests.
        var reserved: Int
    }

    private let ledger: any UsageLedger
    private let state = Mutex<[String: KeyState]>([:])

    /// A limiter whose budgets start from `ledger`.
    public init(ledger: any UsageLedger) {
        self.ledger = ledger
    }

    public func admit(_ policy: KeyPolicy, now: Date) -> Result<RequestTicket, RateLimitRejection> {
        let seconds = now.timeIntervalSince1970
        return state.withLock { keys in
            var key = keys[policy.keyID] ?? KeyState()
            Self.conform(&key, to: policy, now: seconds)
            if let limit = policy.limits.maxConcurrent, key.running >= limit { return .failure(.concurrency(limit: limit)) }
            if var bucket = key.requests {
                if let wait = bucket.take(1, now: seconds) { return .failure(.requests(limit: bucket.capacity, retryAfter: wait)) }
                key.requests = bucket
            }
            key.running += 1
            keys[policy.keyID] = key
            return .success(RequestTicket(policy: policy))
        }
    }

    public func reserveTokens(_ ticket: RequestTicket, tokens: Int, now: Date) async throws -> Result<TokenReservation, RateLimitRejection> {
        let policy = ticket.policy
        var baseline: (start: Date, used: Int)?
        if let budget = policy.budget {
            let start = budget.period.start(containing: now)
            let known = state.withLock { $0[policy.keyID]?.budget?.periodStart == start }
            // Read outside the lock; if another request installs the period first, its total wins.
            if !known { baseline = (start, try await ledger.tokensUsed(keyID: policy.keyID, since: start)) }
        }
        let seconds = now.timeIntervalSince1970
        return state.withLock { keys in
            var key = keys[policy.keyID] ?? KeyState()
            Self.conform(&key, to: policy, now: seconds)
            var periodStart: Date?
            if let budget = policy.budget {
                let start = budget.period.start(containing: now)
                if key.budget?.periodStart != start, let baseline, baseline.start == start {
                    // A new period: what finished in it so far, and the requests still holding tokens.
                    key.budget = BudgetState(periodStart: start, used: baseline.used, reserved: key.budget?.reserved ?? 0)
                }
                guard let current = key.budget, current.periodStart == start else {
                    // The period turned while reading; refuse rather than guess (the client retries).
                    return .failure(.budget(budget, remaining: 0, requested: tokens, resetsAt: budget.period.end(containing: now)))
                }
                let remaining = budget.tokens - current.used - current.reserved
                if tokens > remaining {
                    keys[policy.keyID] = key
                    return .failure(
                        .budget(budget, remaining: max(0, remaining), requested: tokens, resetsAt: budget.period.end(containing: now)))
                }
                periodStart = start
            }
            if var bucket = key.tokens {
                if let wait = bucket.take(tokens, now: seconds) {
                    keys[policy.keyID] = key
                    return .failure(.tokens(limit: bucket.capacity, requested: tokens, retryAfter: wait.isFinite ? wait : nil))
                }
                key.tokens = bucket
            }
            if periodStart != nil { key.budget?.reserved += tokens }
            keys[policy.keyID] = key
            return .success(TokenReservation(tokens: tokens, budgetPeriodStart: periodStart))
        }
    }

    public func finish(_ ticket: RequestTicket, reservation: TokenReservation?, usedTokens: Int, now: Date) {
        let seconds = now.timeIntervalSince1970
        state.withLock { keys in
            guard var key = keys[ticket.policy.keyID] else { return }
            key.running = max(0, key.running - 1)
            if let reservation {
                if var bucket = key.tokens {
                    if usedTokens <= reservation.tokens {
                        bucket.giveBack(reservation.tokens - usedTokens, now: seconds)
                    } else {
                        bucket.charge(usedTokens - reservation.tokens, now: seconds)
                    }
                    key.tokens = bucket
                }
                if reservation.budgetPeriodStart != nil, var budget = key.budget {
                    budget.reserved = max(0, budget.reserved - reservation.tokens)
                    if let period = ticket.policy.budget?.period, period.start(containing: now) == budget.periodStart { budget.used += usedTokens }
                    key.budget = budget
                }
            }
            keys[ticket.policy.keyID] = key
        }
    }

    public func snapshot(_ policy: KeyPolicy, now: Date) -> RateLimitSnapshot {
        let seconds = now.timeIntervalSince1970
        return state.withLock { keys in
            var key = keys[policy.keyID] ?? KeyState()
            Self.conform(&key, to: policy, now: seconds)
            keys[policy.keyID] = key
            func limit(_ bucket: TokenBucket?) -> RateLimitSnapshot.Limit? {
                bucket.map { .init(limit: $0.capacity, remaining: $0.remaining(now: seconds), resetSeconds: $0.secondsUntilFull(now: seconds)) }
            }
            return RateLimitSnapshot(requests: limit(key.requests), tokens: limit(key.tokens))
        }
    }

    /// Makes the buckets match the policy (a key's limits are fixed, but the server's defaults may change on restart).
    private static func conform(_ key: inout KeyState, to policy: KeyPolicy, now: Double) {
        if key.requests?.capacity != policy.limits.requestsPerMinute {
            key.requests = policy.limits.requestsPerMinute.map { TokenBucket(capacity: $0, now: now) }
        }
        if key.tokens?.capacity != policy.limits.tokensPerMinute {
            key.tokens = policy.limits.tokensPerMinute.map { TokenBucket(capacity: $0, now: now) }
        }
    }
}
