import Foundation
import Testing

@testable import TernStore

/// What only a shared PostgreSQL database has: several replicas on one database, leases, migrations.
@Suite struct PostgresStoreTests {
    @Test func keysAreStoredOnlyAsHashes() async throws {
        try await withTemporaryPostgresDatabase { url in
            let store = try await PostgresStore.open(url: url)
            let created = try await store.create(NewAPIKey(name: "ci"))
            try await store.close()
            let rows = try await postgresQuery(url, "SELECT row_to_json(k)::TEXT FROM api_keys k")
            let text = try rows.map { try $0.decode(String.self) }.joined()
            #expect(!text.contains(created.secret.value))
            #expect(text.contains(created.secret.hash))
        }
    }

    @Test func theSchemaVersionIsRecorded() async throws {
        try await withTemporaryPostgresDatabase { url in
            try await PostgresStore.open(url: url).close()
            try await PostgresStore.open(url: url).close()
            let rows = try await postgresQuery(url, "SELECT version FROM tern_migrations ORDER BY version")
            #expect(try rows.map { try $0.decode(Int.self) } == Array(1...PostgresStore.migrations.count))
        }
    }

    /// Three replicas, one key of 10 requests per minute: 40 requests spread over them, at once, get exactly 10.
    @Test func replicasShareOneRequestLimitExactly() async throws {
        try await withTemporaryPostgresDatabase { url in
            var replicas: [PostgresStore] = []
            for _ in 0..<3 { replicas.append(try await PostgresStore.open(url: url)) }
            let policy = KeyPolicy(keyID: "shared", limits: KeyLimits(requestsPerMinute: 10))
            let now = Date()
            let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<40 {
                    let limiter = replicas[index % 3].makeRateLimitState()
                    group.addTask { (try? await limiter.admit(policy, now: now).get()) != nil ? 1 : 0 }
                }
                return try await group.reduce(0, +)
            }
            #expect(admitted == 10)
            for replica in replicas { try await replica.close() }
        }
    }

    /// A replica that dies holds its running requests' slots only until their lease runs out.
    @Test func aDeadReplicasSlotsExpire() async throws {
        try await withTemporaryPostgresDatabase { url in
            let dead = try await PostgresStore.open(url: url)
            let alive = try await PostgresStore.open(url: url)
            let policy = KeyPolicy(keyID: "one-at-a-time", limits: KeyLimits(maxConcurrent: 1))
            let now = Date()
            _ = try await dead.makeRateLimitState().admit(policy, now: now).get()
            let limiter = alive.makeRateLimitState()
            #expect(try await limiter.admit(policy, now: now) == .failure(.concurrency(limit: 1)))
            // No renewal comes from the dead replica (its clock would renew to at most now + lease).
            let later = now.addingTimeInterval(PostgresRateLimitState.leaseSeconds + 1)
            #expect((try? await limiter.admit(policy, now: later).get()) != nil)
            try await alive.close()
            try await dead.close()
        }
    }

    /// A replica that stops frees its running requests at once.
    @Test func closingFreesTheReplicasSlots() async throws {
        try await withTemporaryPostgresDatabase { url in
            let first = try await PostgresStore.open(url: url)
            let second = try await PostgresStore.open(url: url)
            let policy = KeyPolicy(keyID: "k", limits: KeyLimits(maxConcurrent: 1))
            _ = try await first.makeRateLimitState().admit(policy, now: Date()).get()
            try await first.close()
            #expect((try? await second.makeRateLimitState().admit(policy, now: Date()).get()) != nil)
            try await second.close()
        }
    }

    /// Replicas keep the keys they found in memory; a revocation on one reaches the others' caches by notice.
    @Test func aKeyRevokedOnOneReplicaStopsOnTheOthers() async throws {
        try await withTemporaryPostgresDatabase { url in
            let first = try await PostgresStore.open(url: url)
            let second = try await PostgresStore.open(url: url)
            let created = try await first.create(NewAPIKey(name: "shared"))
            for _ in 0..<3 { #expect(try await second.key(for: created.secret)?.revokedAt == nil) }
            _ = try await first.revoke("shared")
            var seen = false
            for _ in 0..<250 where !seen {
                seen = try await second.key(for: created.secret)?.revokedAt != nil
                if !seen { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(seen, "the second replica still accepts the key five seconds after its revocation")
            try await first.close()
            try await second.close()
        }
    }

    /// Replicas with different default limits (a rolling update) never refill each other's buckets.
    @Test func aNewCapacityNeverRefillsTheBucket() async throws {
        try await withTemporaryPostgresDatabase { url in
            let store = try await PostgresStore.open(url: url)
            let limiter = store.makeRateLimitState()
            let now = Date()
            let two = KeyPolicy(keyID: "k", limits: KeyLimits(requestsPerMinute: 2))
            let three = KeyPolicy(keyID: "k", limits: KeyLimits(requestsPerMinute: 3))
            for _ in 0..<2 { _ = try await limiter.admit(two, now: now).get() }
            #expect(try await limiter.admit(three, now: now) == .failure(.requests(limit: 3, retryAfter: 20)))
            #expect(try await limiter.admit(two, now: now) == .failure(.requests(limit: 2, retryAfter: 30)))
            try await store.close()
        }
    }

    /// An admitted request ends in one call of `tern_finish_record`, which commits the settlement before it writes
    /// the row: a row that cannot be written leaves the slot freed, and a settlement that fails writes no row (the two
    /// calls side by side would write it).
    @Test func anAdmittedRequestsEndSettlesThenRecordsInOneCall() async throws {
        try await withTemporaryPostgresDatabase { url in
            let store = try await PostgresStore.open(url: url, endingRequestsInOneCall: true)
            let limiter = store.makeRateLimitState()
            let policy = KeyPolicy(keyID: "k", limits: KeyLimits(maxConcurrent: 1))
            let now = Date()
            let record = completionsRow(promptTokens: 4, at: now)
            func finish(_ ticket: RequestTicket) async throws -> (any Error)? {
                try await limiter.finish(ticket, reservation: nil, usedTokens: 4, now: now, recording: record, in: store)
            }
            let first = try await limiter.admit(policy, now: now).get()
            _ = try await postgresQuery(url, "ALTER TABLE usage ADD CONSTRAINT refuse_rows CHECK (false) NOT VALID")
            await #expect(throws: TernStoreError.self) { _ = try await finish(first) }
            let second = try await limiter.admit(policy, now: now).get()
            _ = try await postgresQuery(url, "ALTER TABLE usage DROP CONSTRAINT refuse_rows")
            _ = try await postgresQuery(url, "ALTER TABLE rate_limits ADD CONSTRAINT refuse_updates CHECK (false) NOT VALID")
            await #expect(throws: TernStoreError.self) { _ = try await finish(second) }
            #expect(try await store.tokensUsed(keyID: "k", since: now.addingTimeInterval(-60)) == 0)
            _ = try await postgresQuery(url, "ALTER TABLE rate_limits DROP CONSTRAINT refuse_updates")
            #expect(try await limiter.admit(policy, now: now) == .failure(.concurrency(limit: 1)))
            #expect(try await finish(second) == nil)
            #expect(try await store.tokensUsed(keyID: "k", since: now.addingTimeInterval(-60)) == 4)
            try await store.close()
        }
    }

    @Test func whereCommitsWaitForADiskAnAdmittedRequestsRowJoinsTheLedgersBatch() async throws {
        #expect(PostgresStore.commitsWaitForDisk(fsync: "on", synchronousCommit: "on"))
        #expect(PostgresStore.commitsWaitForDisk(fsync: "on", synchronousCommit: "remote_apply"))
        #expect(!PostgresStore.commitsWaitForDisk(fsync: "off", synchronousCommit: "on"))
        #expect(!PostgresStore.commitsWaitForDisk(fsync: "on", synchronousCommit: "off"))
        for oneCall in [false, true] {
            try await withTemporaryPostgresDatabase { url in
                let store = try await PostgresStore.open(url: url, endingRequestsInOneCall: oneCall)
                let limiter = store.makeRateLimitState()
                let policy = KeyPolicy(keyID: "k", limits: KeyLimits(maxConcurrent: 1))
                let now = Date()
                let ticket = try await limiter.admit(policy, now: now).get()
                let record = completionsRow(promptTokens: 3, at: now)
                func rows() async throws -> Int { try await postgresQuery(url, "SELECT count(*) FROM usage")[0].decode(Int.self) }
                try await withPostgresConnection(url) { query in
                    // The settlement waits for the key's row; apart from it, the ledger's row is written meanwhile. Should
                    // the test fail before its COMMIT, the server ends the transaction, so the settlement never waits for ever.
                    _ = try await query("SET idle_in_transaction_session_timeout = '30s'")
                    _ = try await query("BEGIN")
                    _ = try await query("SELECT * FROM rate_limits WHERE key_id = 'k' FOR UPDATE")
                    async let ended = limiter.finish(ticket, reservation: nil, usedTokens: 3, now: now, recording: record, in: store)
                    var written = 0
                    if oneCall {
                        try await Task.sleep(for: .milliseconds(500))
                        written = try await rows()
                    } else {
                        for _ in 0..<200 where written == 0 {
                            try await Task.sleep(for: .milliseconds(50))
                            written = try await rows()
                        }
                    }
                    #expect(written == (oneCall ? 0 : 1))
                    _ = try await query("COMMIT")
                    #expect(try await ended == nil)
                }
                #expect(try await rows() == 1)
                // The slot was freed.
                _ = try await limiter.admit(policy, now: now).get()
                try await store.close()
            }
        }
    }
}
