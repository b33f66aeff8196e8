/// Everything Tern keeps: keys, the usage ledger and stored responses, plus the limiter that goes with them.
///
/// ``SQLiteStore`` (one file, one server) and ``PostgresStore`` (one database shared by any number of replicas)
/// implement it; ``open(_:)`` picks by the location's form.
public protocol TernDatabase: APIKeyStore, UsageLedger, ResponseStore {
    /// Where it is, for messages: a file path, or a URL without its password.
    var location: String { get }
    /// The rate-limit and budget state that goes with this database: in memory for SQLite (one server per file), in
    /// the database for PostgreSQL (shared by every replica).
    func makeRateLimitState() -> any RateLimitState
    /// Ends its connections; it must not be used afterwards.
    func close() async throws
}

/// Opens a database: a `postgres://` or `postgresql://` URL, or else the path of a data folder for SQLite.
public func openTernDatabase(_ location: String) async throws -> any TernDatabase {
    if PostgresStore.isURL(location) { return try await PostgresStore.open(url: location) }
    return try await SQLiteStore.open(directory: location)
}
