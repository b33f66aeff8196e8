/// Where API keys live. Implementations must be safe to use from several processes at once (`tern keys` next to a
/// running `tern serve`): a key created or revoked by one is seen by the other's next lookup.
public protocol APIKeyStore: Sendable {
    /// Creates a key; the returned secret is the only copy.
    func create(_ key: NewAPIKey) async throws -> CreatedAPIKey
    /// The key whose secret is `secret`, active or not; nil when there is none.
    func key(for secret: APIKeySecret) async throws -> APIKey?
    /// Every key, revoked ones included, oldest first.
    func keys() async throws -> [APIKey]
    /// Revokes the key with this id or name; returns it as revoked. Revoking twice is not an error.
    func revoke(_ idOrName: String) async throws -> APIKey
}
