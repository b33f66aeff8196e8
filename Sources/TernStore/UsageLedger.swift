public import Foundation

/// The record of what each request used. ``record(_:)`` returns only once the row is durable: a crash right after
/// loses nothing.
public protocol UsageLedger: Sendable {
    /// Appends one row, durably.
    func record(_ entry: UsageRecord) async throws
    /// Totals per key (every key, also those without requests), oldest key first; rows finished at or after `since`.
    func usage(since: Date?) async throws -> [KeyUsage]
    /// Totals per calendar day or month (UTC) and key, oldest period first, only periods with requests; only `keyID`'s
    /// rows when it is given; rows finished at or after `since`.
    func usageHistory(per period: BudgetPeriod, keyID: String?, since: Date?) async throws -> [UsagePeriodTotals]
    /// Prompt plus completion tokens of `keyID` in rows finished at or after `since`: where a budget starts.
    func tokensUsed(keyID: String, since: Date) async throws -> Int
}

/// One request in the ledger.
public struct UsageRecord: Sendable, Equatable {
    /// The key's id.
    public var keyID: String
    /// The model name the request used, as sent.
    public var model: String
    /// The API path, e.g. `/v1/chat/completions`.
    public var endpoint: String
    /// The HTTP status sent.
    public var status: Int
    /// Prompt tokens (all choices and prompts).
    public var promptTokens: Int
    /// Prompt tokens served from the prefix cache.
    public var cachedTokens: Int
    /// Generated tokens.
    public var completionTokens: Int
    /// When the request arrived.
    public var startedAt: Date
    /// When its row was written (just before the last byte went out).
    public var finishedAt: Date

    /// A ledger row.
    public init(
        keyID: String, model: String, endpoint: String, status: Int, promptTokens: Int = 0, cachedTokens: Int = 0, completionTokens: Int = 0,
        startedAt: Date, finishedAt: Date
    ) {
        self.keyID = keyID
        self.model = model
        self.endpoint = endpoint
        self.status = status
        self.promptTokens = promptTokens
        self.cachedTokens = cachedTokens
        self.completionTokens = completionTokens
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    /// Prompt plus completion tokens: what budgets and token limits count.
    public var totalTokens: Int { promptTokens + completionTokens }
}

/// What one key used.
public struct KeyUsage: Sendable, Equatable, Codable {
    /// The key's id.
    public var id: String
    /// The key's name.
    public var name: String
    /// Requests recorded.
    public var requests: Int
    /// Requests answered with a status of 400 or more.
    public var failedRequests: Int
    /// Prompt tokens.
    public var promptTokens: Int
    /// Prompt tokens served from the prefix cache.
    public var cachedTokens: Int
    /// Generated tokens.
    public var completionTokens: Int

    /// Totals for one key.
    public init(id: String, name: String, requests: Int, failedRequests: Int, promptTokens: Int, cachedTokens: Int, completionTokens: Int) {
        self.id = id
        self.name = name
        self.requests = requests
        self.failedRequests = failedRequests
        self.promptTokens = promptTokens
        self.cachedTokens = cachedTokens
        self.completionTokens = completionTokens
    }

    enum CodingKeys: String, CodingKey {
        case id, name, requests
        case failedRequests = "failed_requests"
        case promptTokens = "prompt_tokens"
        case cachedTokens = "cached_tokens"
        case completionTokens = "completion_tokens"
    }
}
