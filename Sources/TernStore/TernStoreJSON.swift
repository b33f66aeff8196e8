public import Foundation

/// The JSON form of keys and usage, shared by `tern keys … --json` and the admin API: snake_case keys, ISO 8601
/// dates, sorted keys.
public enum TernStoreJSON {
    /// An encoder with Tern's settings.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension APIKey {
    enum CodingKeys: String, CodingKey {
        case id, name, prefix, models, limits, budget
        case isAdmin = "admin"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
    }
}

extension KeyLimits {
    enum CodingKeys: String, CodingKey {
        case requestsPerMinute = "rpm"
        case tokensPerMinute = "tpm"
        case maxConcurrent = "max_concurrent"
    }
}
