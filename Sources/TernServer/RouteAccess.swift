/// Who may call a route. Every route states it in the one route list (``TernServer/routes()``), and the router
/// installs the matching check on that route alone, so the decision is made on exactly what the router matched.
enum RouteAccess: Sendable, Equatable {
    /// No key: the health check and the API description. Anything else needs a key.
    case open
    /// Any valid key, neither rate-limited nor written to the ledger: `/metrics`, for scrapers.
    case anyKey
    /// A valid key within its limits, and one ledger row per request: the `/v1` API.
    case metered
    /// As ``metered``, for the routes that an upstream may serve: the route admits the request itself once it knows
    /// where it goes, with its tokens in the same step for an upstream (one round trip to a shared database instead
    /// of two; ``RequestAccess/reserve(promptTokens:maxCompletionTokens:)``), and before anything else for a local
    /// model (``RequestAccess/admit()``), whose loading and tokenizing a key over its limits must not cause.
    case meteredWithTokens
    /// A valid admin key: the admin API.
    case admin
}
