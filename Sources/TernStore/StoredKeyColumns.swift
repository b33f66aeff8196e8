import Foundation

/// A row of the `api_keys` table as both databases store it: times in milliseconds since 1970, the allowed models
/// as a JSON array.
struct StoredKeyColumns {
    var id: String
    var name: String
    var prefix: String
    var isAdmin: Bool
    var models: String?
    var requestsPerMinute: Int?
    var tokensPerMinute: Int?
    var maxConcurrent: Int?
    var budgetTokens: Int?
    var budgetPeriod: String?
    var createdAt: Int
    var expiresAt: Int?
    var revokedAt: Int?

    /// The key the row describes.
    var key: APIKey {
        var budget: TokenBudget?
        if let budgetTokens, let period = budgetPeriod.flatMap(BudgetPeriod.init(rawValue:)) {
            budget = TokenBudget(tokens: budgetTokens, period: period)
        }
        return APIKey(
            id: id, name: name, prefix: prefix, isAdmin: isAdmin, models: models.map(Self.decodeModels),
            limits: KeyLimits(requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute, maxConcurrent: maxConcurrent),
            budget: budget, createdAt: Self.date(createdAt), expiresAt: expiresAt.map(Self.date), revokedAt: revokedAt.map(Self.date))
    }

    /// The column list both databases select, in this order.
    static let names =
        "id, name, prefix, admin, models, rpm, tpm, max_concurrent, budget_tokens, budget_period, created_at, expires_at, revoked_at"

    static func encodeModels(_ models: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(models)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func decodeModels(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }

    static func milliseconds(_ date: Date) -> Int { Int((date.timeIntervalSince1970 * 1000).rounded(.down)) }
    static func date(_ milliseconds: Int) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
