public import Foundation

/// What to create: the settings of a new key (the secret and id are generated).
public struct NewAPIKey: Sendable, Equatable {
    /// A unique name; nil for one made from the id.
    public var name: String?
    /// Whether the key may use the admin API.
    public var isAdmin: Bool
    /// Models the key may use; nil for all.
    public var models: [String]?
    /// Rate limits.
    public var limits: KeyLimits
    /// Token budget.
    public var budget: TokenBudget?
    /// Expiry.
    public var expiresAt: Date?

    /// Settings for a new key.
    public init(
        name: String? = nil, isAdmin: Bool = false, models: [String]? = nil, limits: KeyLimits = KeyLimits(), budget: TokenBudget? = nil,
        expiresAt: Date? = nil
    ) {
        self.name = name
        self.isAdmin = isAdmin
        self.models = models
        self.limits = limits
        self.budget = budget
        self.expiresAt = expiresAt
    }

    /// Checks the values a person typed: a name of sensible characters, positive limits, an expiry in the future.
    public func validate(now: Date = Date()) throws(TernStoreError) {
        if let name {
            guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) }) else {
                throw TernStoreError(.invalidValue, "name must be 1 to 64 letters, digits or - _ . @ (got '\(name)')")
            }
        }
        for (label, value) in [("rpm", limits.requestsPerMinute), ("tpm", limits.tokensPerMinute), ("max-concurrent", limits.maxConcurrent)] {
            if let value, value < 1 { throw TernStoreError(.invalidValue, "\(label) must be at least 1 (got \(value))") }
        }
        if let budget, budget.tokens < 1 { throw TernStoreError(.invalidValue, "budget tokens must be at least 1 (got \(budget.tokens))") }
        if let expiresAt, expiresAt <= now {
            throw TernStoreError(.invalidValue, "the expiry \(expiresAt.formatted(.iso8601)) has passed; a key must expire in the future")
        }
        if let models, models.isEmpty || models.contains(where: \.isEmpty) {
            throw TernStoreError(.invalidValue, "models must name at least one model, without empty names")
        }
    }
}

extension NewAPIKey {
    /// Validates the settings and makes the key: a new secret and id, times to the millisecond as the databases keep
    /// them.
    func make(now: Date = Date()) throws(TernStoreError) -> CreatedAPIKey {
        try validate(now: now)
        let secret = APIKeySecret.generate()
        let id = "key_" + APIKeySecret.randomString(length: 12)
        let stored = { (date: Date) in StoredKeyColumns.date(StoredKeyColumns.milliseconds(date)) }
        let key = APIKey(
            id: id, name: name ?? id, prefix: secret.displayPrefix, isAdmin: isAdmin, models: models, limits: limits, budget: budget,
            createdAt: stored(now), expiresAt: expiresAt.map(stored))
        return CreatedAPIKey(key: key, secret: secret)
    }
}

/// A key just made: its record and the secret, which is never available again.
public struct CreatedAPIKey: Sendable {
    /// The stored record.
    public var key: APIKey
    /// The secret to hand to the client once.
    public var secret: APIKeySecret
}
