import Synchronization

/// What the access log says of one request, filled in as the request passes the router, the access check and the
/// ledger: the route the router matched, the key, and the tokens charged.
final class RequestLogEntry: Sendable {
    struct Fields {
        var route: String?
        var keyID: String?
        var promptTokens = 0
        var completionTokens = 0
    }

    private let fields = Mutex(Fields())

    /// The fields as they stand.
    var current: Fields { fields.withLock { $0 } }

    /// Records the route pattern the router matched.
    func matched(route: String) { fields.withLock { $0.route = route } }

    /// Records the authenticated key.
    func authenticated(keyID: String) { fields.withLock { $0.keyID = keyID } }

    /// Records the tokens the ledger charged.
    func charged(promptTokens: Int, completionTokens: Int) {
        fields.withLock {
            $0.promptTokens = promptTokens
            $0.completionTokens = completionTokens
        }
    }
}
