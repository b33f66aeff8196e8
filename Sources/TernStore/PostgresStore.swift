public import Foundation
import Logging
import PostgresNIO

/// Keys, the usage ledger, stored responses and the rate-limit state in one PostgreSQL database, shared by every
/// `tern serve` replica (and `tern keys`) that opens it.
///
/// ```swift
/// let store = try await PostgresStore.open(url: "postgres://tern:secret@127.0.0.1:5432/tern")
/// let limits = store.makeRateLimitState()   // exact across replicas
/// try await store.close()
/// ```
///
/// The schema is migrated at open, under an advisory lock so that replicas starting together migrate once. Every
/// write is one statement (committed, and with PostgreSQL's default `synchronous_commit`, on disk when it returns);
/// ledger rows that arrive together share one `INSERT`, except, on a server whose commits do not wait for a disk, an
/// admitted request's, which the call that settles its limits inserts
/// (``PostgresRateLimitState/finish(_:reservation:usedTokens:now:recording:in:)``).
public final class PostgresStore: TernDatabase {
    /// The URL without its password.
    public let location: String
    let client: PostgresClient
    /// The clients of the limiter's calls and the ledger's inserts.
    private let loopClients: PostgresLoopClients
    private let running: Task<Void, Never>
    private let ledgerWrites: GroupCommit<UsageRecord>
    /// The one limiter of this process (its running requests are renewed together).
    private let limiter: PostgresRateLimitState
    /// Keys looked up, while a connection listens for changes made by any replica.
    private let keyCache: NotifiedKeyCache

    private init(target: PostgresTarget, endsRequestsInOneCall: Bool) throws {
        location = target.location
        // Of a replica's 32 connections at most, 20 serve the limiter and the ledger, 12 the rest (key lookups that
        // miss the cache, stored responses, administration).
        var main = try target.client()
        main.options.maximumConnections = 12
        let client = PostgresClient(configuration: main)
        let loopClients = PostgresLoopClients(configuration: try target.client(), connections: 20, fallback: client)
        self.client = client
        self.loopClients = loopClients
        running = Task {
            async let pool: Void = client.run()
            async let loopPools: Void = loopClients.run()
            _ = await (pool, loopPools)
        }
        ledgerWrites = GroupCommit(maxBatch: 500) { entries in try await Self.insert(entries, into: loopClients.current) }
        limiter = PostgresRateLimitState(clients: loopClients, client: client, location: target.location, endsInOneCall: endsRequestsInOneCall)
        let configuration = try target.connection()
        keyCache = NotifiedKeyCache {
            let logger = Logger(label: "tern.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
            return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        }
    }

    /// Whether `text` is a PostgreSQL URL rather than a folder.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Connects to `url` (`postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=disable|prefer|require`) and migrates
    /// the schema. The first connection is made alone, so that a server that cannot be reached or refuses the login
    /// is an error at once, with PostgreSQL's reason, instead of a pool that keeps trying.
    public static func open(url: String) async throws -> PostgresStore {
        try await open(url: url, endingRequestsInOneCall: nil)
    }

    /// ``open(url:)``; `endingRequestsInOneCall` chooses how admitted requests end instead of the server's settings
    /// (``commitsWaitForDisk(fsync:synchronousCommit:)``).
    static func open(url: String, endingRequestsInOneCall: Bool?) async throws -> PostgresStore {
        let target = try PostgresTarget(url: url)
        let logger = Logger(label: "tern.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        let commitsWait: Bool
        do {
            let connection = try await PostgresConnection.connect(configuration: try target.connection(), id: 0, logger: logger)
            do {
                try await migrate(connection, logger: logger)
                var settings: (String, String) = ("on", "on")
                for try await row in try await connection.query(
                    "SELECT current_setting('fsync'), current_setting('synchronous_commit')", logger: logger
                ).decode((String, String).self) {
                    settings = row
                }
                commitsWait = commitsWaitForDisk(fsync: settings.0, synchronousCommit: settings.1)
                try await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        } catch {
            throw TernStoreError(.database, "cannot open the database \(target.location): \(describe(error))")
        }
        return try PostgresStore(target: target, endsRequestsInOneCall: endingRequestsInOneCall ?? !commitsWait)
    }

    /// Whether a commit on a server with these settings returns only once it is on disk (the default), rather than at
    /// once (`fsync` or `synchronous_commit` off). Where it waits, ledger rows are best committed together.
    static func commitsWaitForDisk(fsync: String, synchronousCommit: String) -> Bool {
        fsync != "off" && synchronousCommit != "off"
    }

    /// Frees this process's running requests and closes every connection.
    public func close() async throws {
        keyCache.close()
        await limiter.close()
        running.cancel()
        await running.value
    }

    /// The limiter, the same one each time: exact across every replica on this database.
    public func makeRateLimitState() -> any RateLimitState {
        limiter
    }

    // MARK: Queries

    /// Runs `query` and reads every row (which hands its connection back to the pool).
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await Self.rows(query, client: client, location: location)
    }

    /// Runs `query` on `client` and reads every row; a failure names the database at `location`.
    @discardableResult
    static func rows(_ query: PostgresQuery, client: PostgresClient, location: String) async throws -> [PostgresRow] {
        do {
            return try await client.query(query).collect()
        } catch {
            throw TernStoreError(.database, "the database \(location) failed: \(describe(error))")
        }
    }

    /// A PostgreSQL error as its server's message, which `String(describing:)` of `PSQLError` withholds.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] { return message }
        return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
    }

    // MARK: Schema

    private static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            // One migrating replica at a time; the others wait and then find nothing left to do.
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS tern_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: logger)
            var applied = 0
            for try await version in try await connection.query("SELECT COALESCE(MAX(version), 0) FROM tern_migrations", logger: logger)
                .decode(Int.self)
            {
                applied = version
            }
            guard applied <= Self.migrations.count else {
                throw TernStoreError(
                    .database,
                    "the database is at schema version \(applied), newer than this Tern's \(Self.migrations.count); upgrade Tern")
            }
            for (index, statements) in Self.migrations.enumerated() where index + 1 > applied {
                for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.query("INSERT INTO tern_migrations (version) VALUES (\(index + 1))", logger: logger)
            }
        }
    }

    /// The advisory lock migrations hold: any number that other applications of the database do not use.
    private static let migrationLock: Int64 = 0x7465_726E_6D69_67

    // MARK: ResponseStore

    public func save(_ response: StoredResponse) async throws {
        try await rows("DELETE FROM responses WHERE expires_at <= \(Self.milliseconds(Date()))")
        try await rows(
            """
            INSERT INTO responses (id, key_id, created_at, expires_at, body, conversation) VALUES (\(response.id), \(response.keyID), \
            \(Self.milliseconds(response.createdAt)), \(Self.milliseconds(response.expiresAt)), \(response.body), \(response.conversation))
            """)
    }

    public func response(id: String, keyID: String, now: Date) async throws -> StoredResponse? {
        let found = try await rows(
            """
            SELECT created_at, expires_at, body, conversation FROM responses WHERE id = \(id) AND key_id = \(keyID) \
            AND expires_at > \(Self.milliseconds(now))
            """)
        guard let row = found.first else { return nil }
        let (created, expires, body, conversation) = try row.decode((Int, Int, String, String).self)
        return StoredResponse(
            id: id, keyID: keyID, createdAt: Self.date(created), expiresAt: Self.date(expires), body: body, conversation: conversation)
    }

    public func deleteResponse(id: String, keyID: String) async throws -> Bool {
        try await !rows("DELETE FROM responses WHERE id = \(id) AND key_id = \(keyID) RETURNING id").isEmpty
    }

    // MARK: APIKeyStore

    public func create(_ new: NewAPIKey) async throws -> CreatedAPIKey {
        let created = try new.make()
        let (key, secret) = (created.key, created.secret)
        let models = key.models.map(StoredKeyColumns.encodeModels)
        do {
            _ = try await client.query(
                """
                INSERT INTO api_keys (id, name, hash, prefix, admin, models, rpm, tpm, max_concurrent, budget_tokens, budget_period, \
                created_at, expires_at) VALUES (\(key.id), \(key.name), \(secret.hash), \(key.prefix), \(key.isAdmin), \(models), \
                \(key.limits.requestsPerMinute), \(key.limits.tokensPerMinute), \(key.limits.maxConcurrent), \(key.budget?.tokens), \
                \(key.budget?.period.rawValue), \(Self.milliseconds(key.createdAt)), \(key.expiresAt.map(Self.milliseconds)))
                """
            ).collect()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw TernStoreError(.duplicateName, "a key named '\(key.name)' exists already; choose another --name")
        } catch {
            throw TernStoreError(.database, "the database \(location) failed: \(Self.describe(error))")
        }
        return created
    }

    /// From memory while this replica hears of every revocation (``NotifiedKeyCache``); else from the database.
    public func key(for secret: APIKeySecret) async throws -> APIKey? {
        let hash = secret.hash
        let (cached, generation) = keyCache.lookup(hash: hash)
        if let cached { return cached }
        guard let key = try await rows("SELECT \(unescaped: StoredKeyColumns.names) FROM api_keys WHERE hash = \(hash)").first.map(Self.decodeKey)
        else { return nil }
        keyCache.remember(key, hash: hash, generation: generation)
        return key
    }

    public func keys() async throws -> [APIKey] {
        try await rows("SELECT \(unescaped: StoredKeyColumns.names) FROM api_keys ORDER BY created_at, seq").map(Self.decodeKey)
    }

    public func revoke(_ idOrName: String) async throws -> APIKey {
        try await rows(
            """
            UPDATE api_keys SET revoked_at = \(Self.milliseconds(Date())) WHERE (id = \(idOrName) OR name = \(idOrName)) \
            AND revoked_at IS NULL
            """)
        // Every replica's cache forgets its keys (new keys need no notice: a cache holds only keys it has found).
        keyCache.forget()
        try await rows("SELECT pg_notify(\(NotifiedKeyCache.channel), '')")
        guard let row = try await rows("SELECT \(unescaped: StoredKeyColumns.names) FROM api_keys WHERE id = \(idOrName) OR name = \(idOrName)").first
        else { throw TernStoreError(.notFound, "no key with id or name '\(idOrName)'; `tern keys list` shows them") }
        return try Self.decodeKey(row)
    }

    private static func decodeKey(_ row: PostgresRow) throws -> APIKey {
        let (id, name, prefix, admin, models, rpm, tpm, concurrent, budgetTokens, budgetPeriod, created, expires, revoked) = try row.decode(
            (String, String, String, Bool, String?, Int?, Int?, Int?, Int?, String?, Int, Int?, Int?).self)
        return StoredKeyColumns(
            id: id, name: name, prefix: prefix, isAdmin: admin, models: models, requestsPerMinute: rpm, tokensPerMinute: tpm,
            maxConcurrent: concurrent, budgetTokens: budgetTokens, budgetPeriod: budgetPeriod, createdAt: created, expiresAt: expires,
            revokedAt: revoked
        ).key
    }

    /// Whether `limiter` is this store's own, whose state lives in this database beside the ledger.
    func keepsLimits(of limiter: PostgresRateLimitState) -> Bool { self.limiter === limiter }

    // MARK: UsageLedger

    /// Writes the row durably before returning; rows recorded at the same time share one `INSERT`.
    public func record(_ entry: UsageRecord) async throws {
        try await ledgerWrites.submit(entry)
    }

    private static func insert(_ entries: [UsageRecord], into client: PostgresClient) async throws {
        do {
            for try await _ in try await client.execute(LedgerInsertStatement(entries: entries)) {}
        } catch {
            throw TernStoreError(.database, "the usage ledger could not be written: \(describe(error))")
        }
    }

    public func usage(since: Date?) async throws -> [KeyUsage] {
        let found = try await rows(
            """
            SELECT k.id, k.name, COUNT(u.id), COALESCE(SUM(CASE WHEN u.status >= 400 THEN 1 ELSE 0 END), 0)::BIGINT, \
            COALESCE(SUM(u.prompt_tokens), 0)::BIGINT, COALESCE(SUM(u.cached_tokens), 0)::BIGINT, COALESCE(SUM(u.completion_tokens), 0)::BIGINT
            FROM api_keys k LEFT JOIN usage u ON u.key_id = k.id AND u.finished_at >= \(since.map(Self.milliseconds) ?? Int.min)
            GROUP BY k.id ORDER BY MIN(k.created_at), MIN(k.seq)
            """)
        return try found.map { row in
            let (id, name, requests, failed, prompt, cached, completion) = try row.decode((String, String, Int, Int, Int, Int, Int).self)
            return KeyUsage(
                id: id, name: name, requests: requests, failedRequests: failed, promptTokens: prompt, cachedTokens: cached,
                completionTokens: completion)
        }
    }

    public func usageHistory(per period: BudgetPeriod, keyID: String?, since: Date?) async throws -> [UsagePeriodTotals] {
        let format = period == .day ? "YYYY-MM-DD" : "YYYY-MM"
        let since = since.map(Self.milliseconds) ?? Int.min
        // One key's rows through the (key_id, finished_at) index: a key may ask for its own history at any rate.
        let found =
            if let keyID {
                try await rows(
                    """
                    SELECT to_char(to_timestamp(u.finished_at / 1000) AT TIME ZONE 'UTC', \(format)) AS period, k.id, k.name, \
                    COUNT(*), SUM(CASE WHEN u.status >= 400 THEN 1 ELSE 0 END)::BIGINT, SUM(u.prompt_tokens)::BIGINT, \
                    SUM(u.cached_tokens)::BIGINT, SUM(u.completion_tokens)::BIGINT
                    FROM usage u JOIN api_keys k ON k.id = u.key_id
                    WHERE u.key_id = \(keyID) AND u.finished_at >= \(since)
                    GROUP BY period, k.id ORDER BY period
                    """)
            } else {
                try await rows(
                    """
                    SELECT to_char(to_timestamp(u.finished_at / 1000) AT TIME ZONE 'UTC', \(format)) AS period, k.id, k.name, \
                    COUNT(*), SUM(CASE WHEN u.status >= 400 THEN 1 ELSE 0 END)::BIGINT, SUM(u.prompt_tokens)::BIGINT, \
                    SUM(u.cached_tokens)::BIGINT, SUM(u.completion_tokens)::BIGINT
                    FROM usage u JOIN api_keys k ON k.id = u.key_id
                    WHERE u.finished_at >= \(since)
                    GROUP BY period, k.id ORDER BY period, MIN(k.created_at), MIN(k.seq)
                    """)
            }
        return try found.map { row in
            let (period, id, name, requests, failed, prompt, cached, completion) = try row.decode(
                (String, String, String, Int, Int, Int, Int, Int).self)
            return UsagePeriodTotals(
                period: period,
                usage: KeyUsage(
                    id: id, name: name, requests: requests, failedRequests: failed, promptTokens: prompt, cachedTokens: cached,
                    completionTokens: completion))
        }
    }

    public func tokensUsed(keyID: String, since: Date) async throws -> Int {
        let found = try await rows(
            """
            SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0)::BIGINT FROM usage WHERE key_id = \(keyID) \
            AND finished_at >= \(Self.milliseconds(since))
            """)
        return try found.first?.decode(Int.self) ?? 0
    }

    private static func milliseconds(_ date: Date) -> Int { StoredKeyColumns.milliseconds(date) }
    private static func date(_ milliseconds: Int) -> Date { StoredKeyColumns.date(milliseconds) }
}
