public import Foundation

/// An API key as stored: everything but the secret, which exists only as its SHA-256 hash.
public struct APIKey: Sendable, Equatable, Codable {
    /// A stable public id, e.g. `key_3hT9aQ2xLm0c`; safe to log and show.
    public var id: String
    /// A unique name chosen by whoever created the key.
    public var name: String
    /// The first characters of the secret (`tern-Ab3d`), so that a person can tell keys apart; never enough to use.
    public var prefix: String
    /// Whether the key may use the admin API (`/admin/…`).
    public var isAdmin: Bool
    /// Model names the key may use; nil for every model.
    public var models: [String]?
    /// Requests per minute, tokens per minute and concurrent requests; nil fields fall back to the server's defaults.
    public var limits: KeyLimits
    /// A token budget per day or month; nil for none.
    public var budget: TokenBudget?
    /// When the key was made.
    public var createdAt: Date
    /// After this moment the key is refused; nil for never.
    public var expiresAt: Date?
    /// When the key was revoked; nil while it is valid.
    public var revokedAt: Date?

    /// A key record.
    public init(
        id: String, name: String, prefix: String, isAdmin: Bool = false, models: [String]? = nil, limits: KeyLimits = KeyLimits(),
        budget: TokenBudget? = nil, createdAt: Date, expiresAt: Date? = nil, revokedAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.prefix = prefix
        self.isAdmin = isAdmin
        self.models = models
        self.limits = limits
        self.budget = budget
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Whether the key may be used at `now`: not revoked and not expired.
    public func isActive(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }

    /// Whether the key may use the model called `model` (any of its names in `names`, e.g. an alias and its target).
    public func allows(model names: [String]) -> Bool {
        guard let models else { return true }
        return names.contains { models.contains($0) }
    }
}

/// Per-key rate limits; nil means "the server's default" (which may itself be no limit).
public struct KeyLimits: Sendable, Equatable, Codable {
    /// Requests per minute.
    public var requestsPerMinute: Int?
    /// Tokens (prompt plus completion) per minute.
    public var tokensPerMinute: Int?
    /// Requests running at once.
    public var maxConcurrent: Int?

    /// Limits; every one optional.
    public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil, maxConcurrent: Int? = nil) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.maxConcurrent = maxConcurrent
    }

    /// These limits with each missing one taken from `defaults`.
    public func filled(from defaults: KeyLimits) -> KeyLimits {
        KeyLimits(
            requestsPerMinute: requestsPerMinute ?? defaults.requestsPerMinute, tokensPerMinute: tokensPerMinute ?? defaults.tokensPerMinute,
            maxConcurrent: maxConcurrent ?? defaults.maxConcurrent)
    }
}

/// A number of tokens (prompt plus completion) a key may use per calendar day or month (UTC).
public struct TokenBudget: Sendable, Equatable, Codable {
    /// Tokens per period.
    public var tokens: Int
    /// The period.
    public var period: BudgetPeriod

    /// A budget of `tokens` per `period`.
    public init(tokens: Int, period: BudgetPeriod) {
        self.tokens = tokens
        self.period = period
    }
}
