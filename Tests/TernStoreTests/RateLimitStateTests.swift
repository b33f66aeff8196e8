import Foundation
import TernStore
import Testing

@Suite struct RateLimitStateTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: StoreKind.allCases) func requestsPerMinuteRefillEvenly(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            let limiter = store.makeRateLimitState()
            let policy = KeyPolicy(keyID: "k", limits: KeyLimits(requestsPerMinute: 2))
            for _ in 0..<2 {
                let ticket = try await limiter.admit(policy, now: start).get()
                try await limiter.finish(ticket, reservation: nil, usedTokens: 0, now: start)
            }
            guard case .failure(.requests(let limit, let retryAfter)) = try await limiter.admit(policy, now: start) else {
                Issue.record("the third request in the same instant was admitted")
                return
            }
            #expect(limit == 2)
            #expect(abs(retryAfter - 30) < 0.001)
            // Half a minute later one request has flowed back in.
            #expect((try? await limiter.admit(policy, now: start.addingTimeInterval(30)).get()) != nil)
            let snapshot = limiter.snapshot(policy, now: start.addingTimeInterval(30))
            #expect(snapshot.requests?.remaining == 0)
            #expect(snapshot.requests.map { abs($0.resetSeconds - 60) < 0.001 } == true)
        }
    }

    @Test(arguments: StoreKind.allCases) func concurrencyLimitFreesSlotOnFinish(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            let limiter = store.makeRateLimitState()
            let policy = KeyPolicy(keyID: "k", limits: KeyLimits(maxConcurrent: 1))
            let first = try await limiter.admit(policy, now: start).get()
            #expect(try await limiter.admit(policy, now: start) == .failure(.concurrency(limit: 1)))
            try await limiter.finish(first, reservation: nil, usedTokens: 0, now: start)
            #expect((try? await limiter.admit(policy, now: start).get()) != nil)
        }
    }

    @Test(arguments: StoreKind.allCases) func tokenReservationIsSettledWithTheRealCount(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            let limiter = store.makeRateLimitState()
            let policy = KeyPolicy(keyID: "k", limits: KeyLimits(tokensPerMinute: 1000))
            let ticket = try await limiter.admit(policy, now: start).get()
            let reservation = try await limiter.reserveTokens(ticket, tokens: 800, now: start).get()
            #expect(limiter.snapshot(policy, now: start).tokens?.remaining == 200)
            let other = try await limiter.admit(policy, now: start).get()
            guard case .failure(.tokens(1000, 300, let retry?)) = try await limiter.reserveTokens(other, tokens: 300, now: start) else {
                Issue.record("300 tokens fit in 200")
                return
            }
            #expect(retry > 0)
            try await limiter.finish(ticket, reservation: reservation, usedTokens: 100, now: start)
            #expect(limiter.snapshot(policy, now: start).tokens?.remaining == 900)
            // More than the limit can never fit: no retry-after.
            #expect(
                try await limiter.reserveTokens(other, tokens: 1001, now: start) == .failure(.tokens(limit: 1000, requested: 1001, retryAfter: nil)))
        }
    }

    @Test(arguments: StoreKind.allCases) func admissionWithTokensTakesBothStepsAtOnce(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            let limiter = store.makeRateLimitState()
            let policy = KeyPolicy(keyID: "k", limits: KeyLimits(requestsPerMinute: 2, tokensPerMinute: 1000, maxConcurrent: 1))
            guard case .admitted(let ticket, let reservation) = try await limiter.admitAndReserve(policy, tokens: 800, now: start) else {
                Issue.record("the first request was refused")
                return
            }
            #expect(reservation.tokens == 800)
            #expect(limiter.snapshot(policy, now: start).tokens?.remaining == 200)
            #expect(limiter.snapshot(policy, now: start).requests?.remaining == 1)
            // Its slot is taken: the next is refused before anything of it is counted.
            #expect(try await limiter.admitAndReserve(policy, tokens: 1, now: start) == .refused(.concurrency(limit: 1), ticket: nil))
            #expect(limiter.snapshot(policy, now: start).requests?.remaining == 1)
            try await limiter.finish(ticket, reservation: reservation, usedTokens: 100, now: start)
            #expect(limiter.snapshot(policy, now: start).tokens?.remaining == 900)
            // More tokens than the limit: the request itself was admitted, counts as one and holds the slot until it
            // is finished.
            guard case .refused(.tokens(1000, 1001, nil), let refused?) = try await limiter.admitAndReserve(policy, tokens: 1001, now: start)
            else {
                Issue.record("1001 tokens fit in a limit of 1000")
                return
            }
            #expect(limiter.snapshot(policy, now: start).requests?.remaining == 0)
            #expect(try await limiter.admitAndReserve(policy, tokens: 1, now: start) == .refused(.concurrency(limit: 1), ticket: nil))
            try await limiter.finish(refused, reservation: nil, usedTokens: 0, now: start)
            #expect(limiter.snapshot(policy, now: start).tokens?.remaining == 900)
            guard case .refused(.requests(2, let retryAfter), nil) = try await limiter.admitAndReserve(policy, tokens: 1, now: start) else {
                Issue.record("a third request in the same instant was admitted")
                return
            }
            #expect(abs(retryAfter - 30) < 0.001)
        }
    }

    @Test(arguments: StoreKind.allCases) func budgetStartsFromTheLedgerAndRefusesWhatItCannotCover(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            let key = try await store.create(NewAPIKey(name: "b", budget: TokenBudget(tokens: 100, period: .day)))
            let now = Date()
            try await store.record(
                UsageRecord(
                    keyID: key.key.id, model: "m", endpoint: "/v1/completions", status: 200, promptTokens: 30, completionTokens: 30, startedAt: now,
                    finishedAt: now))
            let limiter = store.makeRateLimitState()
            let policy = KeyPolicy(key: key.key, defaults: KeyLimits())
            let ticket = try await limiter.admit(policy, now: now).get()
            guard case .failure(.budget(_, let remaining, 50, _)) = try await limiter.reserveTokens(ticket, tokens: 50, now: now) else {
                Issue.record("50 tokens fit in a budget with 40 left")
                return
            }
            #expect(remaining == 40)
            let reservation = try await limiter.reserveTokens(ticket, tokens: 40, now: now).get()
            try await limiter.finish(ticket, reservation: reservation, usedTokens: 25, now: now)
            let next = try await limiter.admit(policy, now: now).get()
            #expect((try? await limiter.reserveTokens(next, tokens: 15, now: now).get()) != nil)
            #expect((try? await limiter.reserveTokens(next, tokens: 1, now: now).get()) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases) func racingReservationsNeverOverrunTheBudget(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            let key = try await store.create(NewAPIKey(name: "race", budget: TokenBudget(tokens: 1000, period: .month)))
            let limiter = store.makeRateLimitState()
            let policy = KeyPolicy(key: key.key, defaults: KeyLimits())
            let now = Date()
            let granted = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let ticket = try await limiter.admit(policy, now: now).get()
                        return (try? await limiter.reserveTokens(ticket, tokens: 30, now: now).get()) == nil ? 0 : 30
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(granted == 990)
        }
    }

}
