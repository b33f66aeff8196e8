import Foundation
import SQLiteNIO
import Testing

@testable import TernStore

/// The SQLite ledger's writer thread: every row once, a failed batch reported to each of its callers, and nothing
/// accepted after it is closed.
@Suite struct SQLiteLedgerWriterTests {
    private func row(_ key: String, status: Int = 200) -> UsageRecord {
        UsageRecord(
            keyID: key, model: "m", endpoint: "/v1/chat/completions", status: status, promptTokens: 3, completionTokens: 2, startedAt: Date(),
            finishedAt: Date())
    }

    @Test func concurrentRowsAreEachWrittenOnceThenTheClosedWriterRefuses() async throws {
        try await withTemporaryStore { store, _ in
            let key = try await store.create(NewAPIKey(name: "writer")).key
            let writer = try SQLiteLedgerWriter(path: store.path, maxBatch: 7)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<300 { group.addTask { try await writer.record(row(key.id, status: index % 3 == 0 ? 500 : 200)) } }
                try await group.waitForAll()
            }
            await writer.close()
            await writer.close()  // a second close returns too
            await #expect(throws: TernStoreError.self) { try await writer.record(row(key.id)) }
            let usage = try #require(try await store.usage(since: nil).first)
            #expect(usage.requests == 300 && usage.failedRequests == 100 && usage.promptTokens == 900 && usage.completionTokens == 600)
        }
    }

    @Test func aFailedWriteReachesItsCallerAndTheNextRowIsWritten() async throws {
        try await withTemporaryStore { store, _ in
            let key = try await store.create(NewAPIKey(name: "failing")).key
            let other = try await SQLiteConnection.open(storage: .file(path: store.path))
            _ = try await other.query("DROP TABLE usage")
            await #expect(throws: TernStoreError.self) { try await store.record(row(key.id)) }
            for statement in SQLiteStore.migrations[0] where statement.contains("usage") { _ = try await other.query(statement) }
            try await other.close()
            try await store.record(row(key.id))
            #expect(try await store.usage(since: nil).first?.requests == 1)
        }
    }
}
