import Foundation
import Logging
import PostgresNIO
import TernStore
import Testing

/// The databases every shared test runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// A store in a fresh temporary folder, closed and deleted after `body`.
func withTemporaryStore<Value>(_ body: (SQLiteStore, String) async throws -> Value) async throws -> Value {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-store-\(UUID().uuidString)").path
    let store = try await SQLiteStore.open(directory: directory)
    do {
        let value = try await body(store, directory)
        try await store.close()
        try? FileManager.default.removeItem(atPath: directory)
        return value
    } catch {
        try? await store.close()
        try? FileManager.default.removeItem(atPath: directory)
        throw error
    }
}

/// A fresh, empty database of `kind`, closed and deleted after `body`; `body` also gets the location to open it again.
///
/// PostgreSQL: a new database on the server of `TERN_TEST_POSTGRES_URL` (scripts/test.sh starts one).
func withTemporaryDatabase<Value>(_ kind: StoreKind, _ body: (any TernDatabase, String) async throws -> Value) async throws -> Value {
    switch kind {
    case .sqlite:
        return try await withTemporaryStore { store, directory in try await body(store, directory) }
    case .postgres:
        return try await withTemporaryPostgresDatabase { url in
            let store = try await PostgresStore.open(url: url)
            do {
                let value = try await body(store, url)
                try await store.close()
                return value
            } catch {
                try? await store.close()
                throw error
            }
        }
    }
}

/// The URL of a new database on the test server, dropped after `body`.
func withTemporaryPostgresDatabase<Value>(_ body: (String) async throws -> Value) async throws -> Value {
    let server = try #require(
        ProcessInfo.processInfo.environment["TERN_TEST_POSTGRES_URL"], "set TERN_TEST_POSTGRES_URL (scripts/test.sh starts a server)")
    let name = "tern_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    try await administer(server, "CREATE DATABASE \(name)")
    var parts = try #require(URLComponents(string: server))
    parts.path = "/" + name
    let url = try #require(parts.string)
    do {
        let value = try await body(url)
        try await administer(server, "DROP DATABASE \(name) WITH (FORCE)")
        return value
    } catch {
        try? await administer(server, "DROP DATABASE \(name) WITH (FORCE)")
        throw error
    }
}

/// Runs one statement on the server's `postgres` database.
private func administer(_ server: String, _ statement: String) async throws {
    var parts = try #require(URLComponents(string: server))
    parts.path = "/postgres"
    _ = try await postgresQuery(try #require(parts.string), statement)
}

/// The rows of one statement on the database at `url`, read on a connection of its own.
func postgresQuery(_ url: String, _ statement: String) async throws -> [PostgresRow] {
    try await withPostgresConnection(url) { query in try await query(statement) }
}

/// Runs `body` with a connection of its own to the database at `url`, given as the function that runs a statement on
/// it: a transaction begun there stays open until `body` ends it.
func withPostgresConnection<Value>(
    _ url: String, _ body: (_ query: (String) async throws -> [PostgresRow]) async throws -> Value
) async throws -> Value {
    let parts = try #require(URLComponents(string: url))
    let configuration = PostgresConnection.Configuration(
        host: parts.host ?? "127.0.0.1", port: parts.port ?? 5432, username: parts.user ?? "postgres", password: parts.password,
        database: String(parts.path.dropFirst()), tls: .disable)
    let logger = Logger(label: "tern-test", factory: { _ in SwiftLogNoOpLogHandler() })
    let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
    do {
        let value = try await body { statement in try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect() }
        try await connection.close()
        return value
    } catch {
        try? await connection.close()
        throw error
    }
}

/// The ledger row of a request of key "k" to `/v1/completions` that took `promptTokens` and ended at `now`.
func completionsRow(promptTokens: Int, at now: Date) -> UsageRecord {
    UsageRecord(keyID: "k", model: "m", endpoint: "/v1/completions", status: 200, promptTokens: promptTokens, startedAt: now, finishedAt: now)
}

/// Opens a database again by its location: a `postgres://` URL, or a SQLite data folder.
func openTernDatabase(_ location: String) async throws -> any TernDatabase {
    if PostgresStore.isURL(location) { return try await PostgresStore.open(url: location) }
    return try await SQLiteStore.open(directory: location)
}
