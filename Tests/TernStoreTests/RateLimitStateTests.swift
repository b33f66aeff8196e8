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

    @Test(arguments: StoreKind.allCases) func finishingWithTheLedgerRowWritesItAndSettles(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            let key = try await store.create(
                NewAPIKey(name: "f", limits: KeyLimits(maxConcurrent: 1), budget: TokenBudget(tokens: 100, period: .day)))
            let limiter = store.makeRateLimitState()
            let policy = KeyPolicy(key: key.key, defaults: KeyLimits())
            let now = Date()
            guard case .admitted(let ticket, let reservation) = try await limiter.admitAndReserve(policy, tokens: 60, now: now) else {
                Issue.record("the first request was refused")
                return
            }
            let record = UsageRecord(
                keyID: key.key.id, model: "m", endpoint: "/v1/chat/completions", status: 200, promptTokens: 7, cachedTokens: 2, completionTokens: 5,
                startedAt: now.addingTimeInterval(-0.25), finishedAt: now)
            let unsettled = try await limiter.finish(ticket, reservation: reservation, usedTokens: 12, now: now, recording: record, in: store)
            #expect(unsettled == nil)
            let usage = try #require(try await store.usage(since: nil).first { $0.id == key.key.id })
            #expect((usage.requests, usage.promptTokens, usage.cachedTokens, usage.completionTokens) == (1, 7, 2, 5))
            // The slot is free again and the budget charged with the 12 used, not the 60 reserved.
            guard case .admitted(let next, _) = try await limiter.admitAndReserve(policy, tokens: 88, now: now) else {
                Issue.record("the slot or the 88 tokens left were not given back")
                return
            }
            guard case .failure(.budget(_, remaining: 0, requested: 1, _)) = try await limiter.reserveTokens(next, tokens: 1, now: now) else {
                Issue.record("the budget had more than 100 − 12 − 88 left")
                return
            }
            try await limiter.finish(next, reservation: nil, usedTokens: 0, now: now)
        }
    }

    @Test(arguments: StoreKind.allCases) func finishingWithAnotherLedgerWritesTheRowThere(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            try await withTemporaryStore { other, _ in
                let limiter = store.makeRateLimitState()
                let policy = KeyPolicy(keyID: "k", limits: KeyLimits(maxConcurrent: 1))
                let now = Date()
                let ticket = try await limiter.admit(policy, now: now).get()
                let record = completionsRow(promptTokens: 3, at: now)
                #expect(try await limiter.finish(ticket, reservation: nil, usedTokens: 3, now: now, recording: record, in: other) == nil)
                #expect(try await other.tokensUsed(keyID: "k", since: now.addingTimeInterval(-60)) == 3)
                #expect(try await store.tokensUsed(keyID: "k", since: now.addingTimeInterval(-60)) == 0)
                #expect((try? await limiter.admit(policy, now: now).get()) != nil)
            }
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
