import TernOpenAI
import TernStore

/// Proof that a request carries an admin key: the admin API's operations take one, so that none can run for a
/// request the access check did not let through as an admin, whatever the middleware in front of it.
struct AdminKey: Sendable {
    /// The admin key.
    let key: APIKey

    /// The admin key the access check put in the request's context; 403 when there is none or it is not an admin key.
    init(_ key: APIKey?) throws(OpenAIError) {
        guard let key, key.isAdmin else { throw .permissionDenied("This request needs an admin key.") }
        self.key = key
    }
}
