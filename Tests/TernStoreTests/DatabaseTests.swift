import Foundation
import TernStore
import Testing

/// Keys, the ledger and stored responses, in SQLite and in PostgreSQL alike (and what only SQLite's file needs).
@Suite struct DatabaseTests {
    @Test func createdKeyIsFoundByItsSecretAndStoredOnlyAsHash() async throws {
        try await withTemporaryStore { store, directory in
            let created = try await store.create(
                NewAPIKey(name: "ci", models: ["gpt-4"], limits: KeyLimits(requestsPerMinute: 60), budget: TokenBudget(tokens: 1000, period: .day)))
            #expect(created.secret.value.hasPrefix("tern-"))
            #expect(created.secret.value.count == APIKeySecret.prefix.count + APIKeySecret.randomLength)
            #expect(try await store.key(for: created.secret) == created.key)
            #expect(try await store.key(for: APIKeySecret(created.secret.value + "x")) == nil)
            // The file holds the hash, never the key.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: store.path))
            let wal = (try? Data(contentsOf: URL(fileURLWithPath: store.path + "-wal"))) ?? Data()
            let contents = bytes + wal
            #expect(contents.range(of: Data(created.secret.value.utf8)) == nil)
            #expect(contents.range(of: Data(created.secret.hash.utf8)) != nil)
            _ = directory
        }
    }

    /// The database and SQLite's side files are private from the first start, also in a folder that already existed
    /// (whose own permissions Tern leaves alone).
    @Test func filesAreReadableByTheirOwnerOnlyFromTheStart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-open-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try await SQLiteStore.open(directory: directory)
        _ = try await store.create(NewAPIKey(name: "first"))
        for file in [store.path, store.path + "-wal", store.path + "-shm"] {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)
            #expect(mode.intValue == 0o600, "\(file): \(String(mode.intValue, radix: 8))")
        }
        try await store.close()
    }

    /// One server per data folder: a second lock is refused while the first is held, and works once it is released.
    @Test func aDataFolderIsLockedByOneServer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-lock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var first: DataFolderLock? = try DataFolderLock.acquire(directory: directory)
        #expect(first != nil)
        let refusal = #expect(throws: TernStoreError.self) { try DataFolderLock.acquire(directory: directory) }
        #expect(refusal?.message.contains("process \(getpid())") == true)
        first = nil
        #expect(throws: Never.self) { _ = try DataFolderLock.acquire(directory: directory) }
    }

    /// Many rows at once, as a burst of requests (or of refusals) writes them: every one lands, once.
    @Test(arguments: StoreKind.allCases) func concurrentRowsAreAllRecorded(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            let key = try await store.create(NewAPIKey(name: "burst")).key
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await store.record(
                            UsageRecord(
                                keyID: key.id, model: "m", endpoint: "/v1/models", status: index % 2 == 0 ? 200 : 429, promptTokens: 1,
                                startedAt: Date(), finishedAt: Date()))
                    }
                }
                try await group.waitForAll()
            }
            let usage = try #require(try await store.usage(since: nil).first)
            #expect(usage.requests == 200 && usage.failedRequests == 100 && usage.promptTokens == 200)
        }
    }

    /// The stored form of a key is its SHA-256 in lowercase hex (the value from Python's hashlib): a store written by
    /// an earlier build keeps finding its keys.
    @Test func aKeyIsStoredAsItsSHA256InHex() {
        #expect(
            APIKeySecret("tern-0123456789abcdefghijklmnopqrstuvwxyzABCD").hash
                == "f1fc94032aab7f5dec2061f513de70126c5f665532f8fedc02a8f8b7365196ac")
    }

    @Test func keysAreRandom() {
        let secrets = Set((0..<100).map { _ in APIKeySecret.generate().value })
        #expect(secrets.count == 100)
    }

    @Test(arguments: StoreKind.allCases) func duplicateNameIsRefused(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            _ = try await store.create(NewAPIKey(name: "same"))
            await #expect(throws: TernStoreError.self) { try await store.create(NewAPIKey(name: "same")) }
            let keys = try await store.keys()
            #expect(keys.count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases) func invalidSettingsAreRefused(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            await #expect(throws: TernStoreError.self) { try await store.create(NewAPIKey(name: "bad name")) }
            await #expect(throws: TernStoreError.self) { try await store.create(NewAPIKey(limits: KeyLimits(requestsPerMinute: 0))) }
            await #expect(throws: TernStoreError.self) { try await store.create(NewAPIKey(budget: TokenBudget(tokens: 0, period: .day))) }
            await #expect(throws: TernStoreError.self) { try await store.create(NewAPIKey(expiresAt: Date(timeIntervalSinceNow: -60))) }
            let keys = try await store.keys()
            #expect(keys.isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases) func revokeByNameOrIdMarksTheKey(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            let first = try await store.create(NewAPIKey(name: "first"))
            let second = try await store.create(NewAPIKey(name: "second"))
            let revoked = try await store.revoke("first")
            #expect(revoked.revokedAt != nil)
            #expect(try await store.key(for: first.secret)?.isActive(at: Date()) == false)
            _ = try await store.revoke(second.key.id)
            #expect(try await store.keys().allSatisfy { $0.revokedAt != nil })
            await #expect(throws: TernStoreError.self) { try await store.revoke("nobody") }
        }
    }

    @Test func expiredKeyIsNotActive() {
        let key = APIKey(id: "k", name: "k", prefix: "tern-", createdAt: Date(), expiresAt: Date(timeIntervalSinceNow: -1))
        #expect(!key.isActive(at: Date()))
        #expect(APIKey(id: "k", name: "k", prefix: "tern-", createdAt: Date()).isActive(at: Date()))
    }

    @Test(arguments: StoreKind.allCases) func usageSumsRowsPerKeyIncludingKeysWithoutRequests(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            let used = try await store.create(NewAPIKey(name: "used"))
            _ = try await store.create(NewAPIKey(name: "idle"))
            let now = Date()
            for status in [200, 200, 429] {
                try await store.record(
                    UsageRecord(
                        keyID: used.key.id, model: "gpt-4", endpoint: "/v1/chat/completions", status: status, promptTokens: 10, cachedTokens: 2,
                        completionTokens: status == 200 ? 5 : 0, startedAt: now, finishedAt: now))
            }
            let usage = try await store.usage(since: nil)
            #expect(usage.map(\.name) == ["used", "idle"])
            #expect(
                usage[0]
                    == KeyUsage(
                        id: used.key.id, name: "used", requests: 3, failedRequests: 1, promptTokens: 30, cachedTokens: 6, completionTokens: 10))
            #expect(usage[1].requests == 0)
            #expect(try await store.tokensUsed(keyID: used.key.id, since: now.addingTimeInterval(-1)) == 40)
            #expect(try await store.tokensUsed(keyID: used.key.id, since: now.addingTimeInterval(1)) == 0)
            #expect(try await store.usage(since: now.addingTimeInterval(1))[0].requests == 0)
        }
    }

    @Test(arguments: StoreKind.allCases) func usageHistoryGroupsRowsByUTCDayOrMonthAndKey(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            let first = try await store.create(NewAPIKey(name: "first"))
            let second = try await store.create(NewAPIKey(name: "second"))
            // 2026-11-30 23:59:59.500 UTC, then half a second later: two days and two months, one second apart.
            let lastOfNovember = Date(timeIntervalSince1970: 1_796_083_199.5)
            let firstOfDecember = lastOfNovember.addingTimeInterval(0.5)
            for (key, finished, status) in [
                (first.key.id, lastOfNovember, 200), (first.key.id, firstOfDecember, 200), (first.key.id, firstOfDecember, 503),
                (second.key.id, firstOfDecember, 200),
            ] {
                try await store.record(
                    UsageRecord(
                        keyID: key, model: "m", endpoint: "/v1/chat/completions", status: status, promptTokens: 10, cachedTokens: 4,
                        completionTokens: 3, startedAt: finished, finishedAt: finished))
            }
            let days = try await store.usageHistory(per: .day, keyID: nil, since: nil)
            #expect(days.map(\.period) == ["2026-11-30", "2026-12-01", "2026-12-01"])
            #expect(days.map(\.usage.name) == ["first", "first", "second"])
            #expect(
                days[1].usage
                    == KeyUsage(
                        id: first.key.id, name: "first", requests: 2, failedRequests: 1, promptTokens: 20, cachedTokens: 8, completionTokens: 6))
            let months = try await store.usageHistory(per: .month, keyID: first.key.id, since: nil)
            #expect(months.map(\.period) == ["2026-11", "2026-12"])
            #expect(months.map(\.usage.requests) == [1, 2])
            let recent = try await store.usageHistory(per: .month, keyID: nil, since: firstOfDecember)
            #expect(recent.map(\.usage.requests) == [2, 1])
        }
    }

    /// A key made elsewhere works at once; a revocation elsewhere counts from the next lookup with SQLite (the cache
    /// reads the token file), and once PostgreSQL's notice has arrived with PostgreSQL (see PostgresStoreTests).
    @Test(arguments: StoreKind.allCases) func aSecondConnectionSeesKeysAndRevocations(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, location in
            let other = try await openTernDatabase(location)
            let created = try await other.create(NewAPIKey(name: "from-cli"))
            #expect(try await store.key(for: created.secret)?.name == "from-cli")
            _ = try await other.revoke("from-cli")
            if kind == .sqlite {
                #expect(try await store.key(for: created.secret)?.revokedAt != nil)
            }
            try await other.close()
        }
    }

    @Test func budgetPeriodsAreUTCCalendarPeriods() throws {
        let date = try #require(ISO8601DateFormatter().date(from: "2026-03-15T17:30:00Z"))
        let format = ISO8601DateFormatter()
        #expect(format.string(from: BudgetPeriod.day.start(containing: date)) == "2026-03-15T00:00:00Z")
        #expect(format.string(from: BudgetPeriod.day.end(containing: date)) == "2026-03-16T00:00:00Z")
        #expect(format.string(from: BudgetPeriod.month.start(containing: date)) == "2026-03-01T00:00:00Z")
        #expect(format.string(from: BudgetPeriod.month.end(containing: date)) == "2026-04-01T00:00:00Z")
    }

    @Test(arguments: StoreKind.allCases) func storedResponsesAreReadOnlyByTheirKeyUntilTheyExpire(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, _ in
            let now = Date(timeIntervalSince1970: Double(Int(Date().timeIntervalSince1970)))
            let response = StoredResponse(
                id: "resp_1", keyID: "key_a", createdAt: now, expiresAt: now.addingTimeInterval(60), body: #"{"id":"resp_1"}"#,
                conversation: "[]")
            try await store.save(response)
            #expect(try await store.response(id: "resp_1", keyID: "key_a", now: now) == response)
            #expect(try await store.response(id: "resp_1", keyID: "key_b", now: now) == nil)
            #expect(try await store.response(id: "resp_1", keyID: "key_a", now: now.addingTimeInterval(61)) == nil)
            #expect(try await !store.deleteResponse(id: "resp_1", keyID: "key_b"))
            #expect(try await store.deleteResponse(id: "resp_1", keyID: "key_a"))
            #expect(try await store.response(id: "resp_1", keyID: "key_a", now: now) == nil)
        }
    }

    /// Opening again migrates nothing and loses nothing; so does opening from several processes at once.
    @Test(arguments: StoreKind.allCases) func openingAgainKeepsEverything(_ kind: StoreKind) async throws {
        try await withTemporaryDatabase(kind) { store, location in
            let created = try await store.create(NewAPIKey(name: "kept"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let again = try await openTernDatabase(location)
                        let found = try await again.key(for: created.secret)
                        try await again.close()
                        #expect(found?.name == "kept")
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func postgresURLsAreCheckedAndShownWithoutTheirPassword() async throws {
        #expect(PostgresStore.isURL("postgres://u@h/d") && PostgresStore.isURL("postgresql://u@h/d") && !PostgresStore.isURL("/var/lib/tern"))
        let noUser = await #expect(throws: TernStoreError.self) { try await PostgresStore.open(url: "postgres://127.0.0.1:1/tern") }
        #expect(noUser?.message.contains("names no user") == true)
        let mode = await #expect(throws: TernStoreError.self) { try await PostgresStore.open(url: "postgres://u@127.0.0.1:1/t?sslmode=maybe") }
        #expect(mode?.message.contains("sslmode=maybe") == true)
        // Nothing listens on port 1: the error names the database, without the password.
        let refused = await #expect(throws: TernStoreError.self) {
            try await PostgresStore.open(url: "postgres://u:hunter2@127.0.0.1:1/t?sslmode=disable")
        }
        #expect(refused?.message.contains("postgres://u@127.0.0.1:1/t") == true)
        #expect(refused?.message.contains("hunter2") == false)
    }
}
