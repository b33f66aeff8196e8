/// Everything Tern keeps: keys, the usage ledger and stored responses, plus the limiter that goes with them.
///
/// ``SQLiteStore`` (one file, one server) and ``PostgresStore`` (one database shared by any number of replicas)
/// implement it; `tern`'s `--database` and `--data-dir` pick one.
public protocol TernDatabase: APIKeyStore, UsageLedger, ResponseStore {
    /// Where it is, for messages: a file path, or a URL without its password.
    var location: String { get }
    /// The rate-limit and budget state that goes with this database: in memory for SQLite (one server per file), in
    /// the database for PostgreSQL (shared by every replica).
    func makeRateLimitState() -> any RateLimitState
    /// Ends its connections; it must not be used afterwards.
    func close() async throws
}
