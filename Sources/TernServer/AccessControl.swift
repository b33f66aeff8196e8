public import TernStore

/// Who may call the API and how much: the key store, the usage ledger and the limiter.
///
/// Give one to ``TernServer`` to require a bearer key on every `/v1` and `/admin` route; leave it out (`--no-auth`)
/// for a local experiment where anyone who can reach the port may use it.
public struct AccessControl: Sendable {
    /// Where keys are looked up (on every request, so that `tern keys revoke` takes effect at once).
    public var keys: any APIKeyStore
    /// Where every request's usage is written before its last byte is sent.
    public var ledger: any UsageLedger
    /// Per-key rate limits and budgets.
    public var limits: any RateLimitState
    /// Limits for keys that have none of their own.
    public var defaultLimits: KeyLimits
    /// Stored responses of the Responses API, per key.
    public var responses: any ResponseStore

    /// Access control over a database that keeps keys, the ledger and stored responses, with the limiter that goes
    /// with it (in memory for SQLite, shared by the replicas for PostgreSQL).
    public init(store: some TernDatabase, defaultLimits: KeyLimits) {
        self.init(keys: store, ledger: store, limits: store.makeRateLimitState(), defaultLimits: defaultLimits, responses: store)
    }

    /// Access control from its parts.
    public init(
        keys: any APIKeyStore, ledger: any UsageLedger, limits: any RateLimitState, defaultLimits: KeyLimits,
        responses: any ResponseStore = InMemoryResponseStore()
    ) {
        self.keys = keys
        self.ledger = ledger
        self.limits = limits
        self.defaultLimits = defaultLimits
        self.responses = responses
    }
}
