public import Foundation
import SQLiteNIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keys and the usage ledger in one SQLite file (bundled SQLite, WAL journal, `synchronous=FULL`).
///
/// ```swift
/// let store = try await SQLiteStore.open(directory: "/var/lib/tern")
/// let created = try await store.create(NewAPIKey(name: "ci", limits: KeyLimits(requestsPerMinute: 60)))
/// print(created.secret.value)   // shown once
/// try await store.close()
/// ```
///
/// Every call runs on NIO's blocking-I/O thread pool, never on an event loop or Swift's cooperative pool, except the
/// ledger's rows, which a thread of their own writes (``SQLiteLedgerWriter``). Each operation is one SQL statement or
/// transaction, so a write is committed (and, with `synchronous=FULL`, on disk) when it returns.
/// Several processes may open the same file: SQLite's locks serialise writers, and a busy database is retried.
public final class SQLiteStore: TernDatabase {
    /// The database's file name inside the data directory.
    public static let fileName = "tern.sqlite"

    /// The path of the database file.
    public let path: String
    private let connection: SQLiteConnection
    /// Writes the ledger's rows, on a connection and a thread of its own.
    private let ledgerWriter: SQLiteLedgerWriter
    /// Keys looked up, until any process changes keys (its token file is `tern.sqlite-keys`).
    private let keyCache: KeyCache

    private init(path: String, connection: SQLiteConnection, keyCache: KeyCache, ledgerWriter: SQLiteLedgerWriter) {
        self.path = path
        self.connection = connection
        self.keyCache = keyCache
        self.ledgerWriter = ledgerWriter
    }

    /// Opens (creating if needed) `directory/tern.sqlite`; the directory is created readable by its owner only.
    public static func open(directory: String) async throws -> SQLiteStore {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw TernStoreError(.database, "cannot create the data directory \(directory): \(error.localizedDescription)")
        }
        return try await open(path: (directory as NSString).appendingPathComponent(fileName))
    }

    /// Opens (creating if needed) the database file at `path`.
    ///
    /// The file and SQLite's `-wal` and `-shm` files are readable by their owner only from the start: SQLite gives
    /// its side files the database's permissions, so the database is created 0600 before SQLite opens it.
    public static func open(path: String) async throws -> SQLiteStore {
        createOwnerOnlyFile(path)
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path))
        } catch {
            throw TernStoreError(.database, "cannot open the database \(path): \(error)")
        }
        let keyCache: KeyCache
        let ledgerWriter: SQLiteLedgerWriter
        do {
            keyCache = try KeyCache(tokenPath: path + "-keys")
            do {
                try await prepare(connection)
            } catch {
                throw TernStoreError(.database, "cannot prepare the database \(path): \(error)")
            }
            ledgerWriter = try SQLiteLedgerWriter(path: path)
        } catch {
            try? await connection.close()
            throw error
        }
        let store = SQLiteStore(path: path, connection: connection, keyCache: keyCache, ledgerWriter: ledgerWriter)
        // Key hashes and usage: nobody else needs to read them (also for a database made by an earlier version).
        for file in [path, path + "-wal", path + "-shm", path + "-keys"] { _ = chmod(file, 0o600) }
        return store
    }

    /// Closes the connection; the store must not be used afterwards.
    public func close() async throws {
        await ledgerWriter.close()
        try await connection.close()
    }

    public var location: String { path }

    /// Limits in memory: one server per data folder (``DataFolderLock``), so no other process shares them.
    public func makeRateLimitState() -> any RateLimitState {
        InMemoryRateLimitState(ledger: self)
    }

    private static func prepare(_ connection: SQLiteConnection) async throws {
        // WAL: readers (tern keys list) never block the server's writes. FULL: a commit is on disk when it returns.
        _ = try await connection.query("PRAGMA journal_mode=WAL")
        _ = try await connection.query("PRAGMA synchronous=FULL")
        // The ledger's writer has a connection of its own: while it holds the write lock, wait with SQLite's sleeping
        // backoff instead of SQLiteNIO's handler, which retries at once and would spin a thread of the blocking pool.
        _ = try await connection.query("PRAGMA busy_timeout=10000")
        // Versioned migrations. Their statements run one at a time, not in a transaction, so each must be safe to run
        // twice (IF NOT EXISTS): a transaction held open across NIO's small blocking pool stalls every other connection
        // to the file (`tern keys` next to a server) until it ends. Version 1 is the schema from before versions were
        // counted.
        let applied = try await connection.query("PRAGMA user_version").first?.columns.first?.data.integer ?? 0
        guard applied <= migrations.count else {
            throw TernStoreError(
                .database, "the database is at schema version \(applied), newer than this Tern's \(migrations.count); upgrade Tern")
        }
        for (index, statements) in migrations.enumerated() where index + 1 > applied {
            for statement in statements { _ = try await connection.query(statement) }
            _ = try await connection.query("PRAGMA user_version = \(index + 1)")
        }
    }

    /// The schema's versions: each entry the statements that bring the database from the version before to its own.
    static let migrations = [
        [
            """
            CREATE TABLE IF NOT EXISTS api_keys (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
                admin INTEGER NOT NULL DEFAULT 0, models TEXT, rpm INTEGER, tpm INTEGER, max_concurrent INTEGER,
                budget_tokens INTEGER, budget_period TEXT, created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER)
            """,
            """
            CREATE TABLE IF NOT EXISTS usage (
                id INTEGER PRIMARY KEY, key_id TEXT NOT NULL, model TEXT NOT NULL, endpoint TEXT NOT NULL, status INTEGER NOT NULL,
                prompt_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
                started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS usage_by_key ON usage (key_id, finished_at)",
            """
            CREATE TABLE IF NOT EXISTS responses (
                id TEXT PRIMARY KEY, key_id TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, body TEXT NOT NULL,
                conversation TEXT NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS responses_by_expiry ON responses (expires_at)",
        ]
    ]

    // MARK: ResponseStore

    public func save(_ response: StoredResponse) async throws {
        // Expired responses go as new ones come: the table holds what can still be read.
        _ = try await connection.query("DELETE FROM responses WHERE expires_at <= ?", [.integer(Self.milliseconds(Date()))])
        _ = try await connection.query(
            "INSERT INTO responses (id, key_id, created_at, expires_at, body, conversation) VALUES (?, ?, ?, ?, ?, ?)",
            [
                .text(response.id), .text(response.keyID), .integer(Self.milliseconds(response.createdAt)),
                .integer(Self.milliseconds(response.expiresAt)), .text(response.body), .text(response.conversation),
            ])
    }

    public func response(id: String, keyID: String, now: Date) async throws -> StoredResponse? {
        let rows = try await connection.query(
            "SELECT created_at, expires_at, body, conversation FROM responses WHERE id = ? AND key_id = ? AND expires_at > ?",
            [.text(id), .text(keyID), .integer(Self.milliseconds(now))])
        guard let values = rows.first?.columns.map(\.data), values.count == 4, let created = values[0].integer, let expires = values[1].integer,
            let body = values[2].string, let conversation = values[3].string
        else { return nil }
        return StoredResponse(
            id: id, keyID: keyID, createdAt: Self.date(created), expiresAt: Self.date(expires), body: body, conversation: conversation)
    }

    public func deleteResponse(id: String, keyID: String) async throws -> Bool {
        let rows = try await connection.query("DELETE FROM responses WHERE id = ? AND key_id = ? RETURNING id", [.text(id), .text(keyID)])
        return !rows.isEmpty
    }

    // MARK: APIKeyStore

    public func create(_ new: NewAPIKey) async throws -> CreatedAPIKey {
        let created = try new.make()
        let (key, secret) = (created.key, created.secret)
        let binds: [SQLiteData] = [
            .text(key.id), .text(key.name), .text(secret.hash), .text(key.prefix), .integer(key.isAdmin ? 1 : 0),
            Self.text(key.models.map(StoredKeyColumns.encodeModels)), Self.integer(key.limits.requestsPerMinute),
            Self.integer(key.limits.tokensPerMinute), Self.integer(key.limits.maxConcurrent), Self.integer(key.budget?.tokens),
            Self.text(key.budget?.period.rawValue), .integer(Self.milliseconds(key.createdAt)), Self.integer(key.expiresAt.map(Self.milliseconds)),
        ]
        do {
            _ = try await connection.query(
                """
                INSERT INTO api_keys (id, name, hash, prefix, admin, models, rpm, tpm, max_concurrent, budget_tokens, budget_period, \
                created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, binds)
        } catch let error as SQLiteError where error.reason == .constraint || error.reason == .constraintUniqueFailed {
            throw TernStoreError(.duplicateName, "a key named '\(key.name)' exists already; choose another --name")
        }
        try keyCache.noteChange()
        return created
    }

    /// From memory while no process has changed keys since the key was last read; else from the database.
    public func key(for secret: APIKeySecret) async throws -> APIKey? {
        let hash = secret.hash
        let token = keyCache.currentToken()
        if let cached = keyCache.key(hash: hash, token: token) { return cached }
        let rows = try await connection.query("SELECT \(StoredKeyColumns.names) FROM api_keys WHERE hash = ?", [.text(hash)])
        guard let key = try rows.first.map(Self.decodeKey) else { return nil }
        keyCache.remember(key, hash: hash, token: token)
        return key
    }

    public func keys() async throws -> [APIKey] {
        try await connection.query("SELECT \(StoredKeyColumns.names) FROM api_keys ORDER BY created_at, rowid").map(Self.decodeKey)
    }

    public func revoke(_ idOrName: String) async throws -> APIKey {
        let now = Self.milliseconds(Date())
        _ = try await connection.query(
            "UPDATE api_keys SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at IS NULL", [.integer(now), .text(idOrName), .text(idOrName)])
        try keyCache.noteChange()
        let rows = try await connection.query(
            "SELECT \(StoredKeyColumns.names) FROM api_keys WHERE id = ? OR name = ?", [.text(idOrName), .text(idOrName)])
        guard let row = rows.first else { throw TernStoreError(.notFound, "no key with id or name '\(idOrName)'; `tern keys list` shows them") }
        return try Self.decodeKey(row)
    }

    // MARK: UsageLedger

    /// Writes the row durably before returning. Rows recorded at the same time share one transaction (and one sync
    /// of the disk), so a burst of requests, refused ones included, costs a few writes.
    public func record(_ entry: UsageRecord) async throws {
        try await ledgerWriter.record(entry)
    }

    public func usage(since: Date?) async throws -> [KeyUsage] {
        let rows = try await connection.query(
            """
            SELECT k.id, k.name, COUNT(u.id), COALESCE(SUM(u.status >= 400), 0), COALESCE(SUM(u.prompt_tokens), 0),
                   COALESCE(SUM(u.cached_tokens), 0), COALESCE(SUM(u.completion_tokens), 0)
            FROM api_keys k LEFT JOIN usage u ON u.key_id = k.id AND u.finished_at >= ?
            GROUP BY k.id ORDER BY k.created_at, k.rowid
            """, [.integer(since.map(Self.milliseconds) ?? Int.min)])
        return rows.map { row in
            let values = row.columns.map(\.data)
            return KeyUsage(
                id: values[0].string ?? "", name: values[1].string ?? "", requests: values[2].integer ?? 0, failedRequests: values[3].integer ?? 0,
                promptTokens: values[4].integer ?? 0, cachedTokens: values[5].integer ?? 0, completionTokens: values[6].integer ?? 0)
        }
    }

    public func usageHistory(per period: BudgetPeriod, keyID: String?, since: Date?) async throws -> [UsagePeriodTotals] {
        let format = period == .day ? "%Y-%m-%d" : "%Y-%m"
        // One key's rows through the (key_id, finished_at) index: a key may ask for its own history at any rate.
        let filter = keyID == nil ? "u.finished_at >= ?" : "u.key_id = ? AND u.finished_at >= ?"
        let rows = try await connection.query(
            """
            SELECT strftime(?, u.finished_at / 1000, 'unixepoch') AS period, k.id, k.name, COUNT(*), SUM(u.status >= 400),
                   SUM(u.prompt_tokens), SUM(u.cached_tokens), SUM(u.completion_tokens)
            FROM usage u JOIN api_keys k ON k.id = u.key_id
            WHERE \(filter)
            GROUP BY period, k.id ORDER BY period, k.created_at, k.rowid
            """, [.text(format)] + (keyID.map { [.text($0)] } ?? []) + [.integer(since.map(Self.milliseconds) ?? Int.min)])
        return rows.map { row in
            let values = row.columns.map(\.data)
            return UsagePeriodTotals(
                period: values[0].string ?? "",
                usage: KeyUsage(
                    id: values[1].string ?? "", name: values[2].string ?? "", requests: values[3].integer ?? 0,
                    failedRequests: values[4].integer ?? 0, promptTokens: values[5].integer ?? 0, cachedTokens: values[6].integer ?? 0,
                    completionTokens: values[7].integer ?? 0))
        }
    }

    public func tokensUsed(keyID: String, since: Date) async throws -> Int {
        let rows = try await connection.query(
            "SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) FROM usage WHERE key_id = ? AND finished_at >= ?",
            [.text(keyID), .integer(Self.milliseconds(since))])
        return rows.first?.columns.first?.data.integer ?? 0
    }

    // MARK: Encoding

    private static func decodeKey(_ row: SQLiteRow) throws -> APIKey {
        let values = row.columns.map(\.data)
        guard values.count == 13, let id = values[0].string, let name = values[1].string, let prefix = values[2].string,
            let created = values[10].integer
        else { throw TernStoreError(.database, "a row of api_keys is malformed") }
        return StoredKeyColumns(
            id: id, name: name, prefix: prefix, isAdmin: values[3].integer == 1, models: values[4].string, requestsPerMinute: values[5].integer,
            tokensPerMinute: values[6].integer, maxConcurrent: values[7].integer, budgetTokens: values[8].integer, budgetPeriod: values[9].string,
            createdAt: created, expiresAt: values[11].integer, revokedAt: values[12].integer
        ).key
    }

    private static func integer(_ value: Int?) -> SQLiteData { value.map { .integer($0) } ?? .null }
    private static func text(_ value: String?) -> SQLiteData { value.map { .text($0) } ?? .null }
    static func milliseconds(_ date: Date) -> Int { StoredKeyColumns.milliseconds(date) }
    private static func date(_ milliseconds: Int) -> Date { StoredKeyColumns.date(milliseconds) }
}

/// Creates an empty file at `path` readable by its owner only, unless something is there already.
private func createOwnerOnlyFile(_ path: String) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    if descriptor >= 0 { _ = close(descriptor) }
}
