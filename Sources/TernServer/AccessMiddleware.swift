import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TernOpenAI
import TernStore

/// Bearer-key authentication, rate limits and the usage ledger for one route, as its ``RouteAccess`` says.
///
/// The router installs one on every route that is not open (see ``TernServer/makeRouter()``), so it runs exactly for
/// the route the router matched; it never looks at the path.
///
/// - No key, or one that is unknown, revoked or expired: 401 `invalid_api_key`.
/// - An admin route with a key that is not an admin key: 403.
/// - ``RouteAccess/anyKey`` (`/metrics`): any valid key; a scrape is neither rate-limited nor written to the ledger.
/// - ``RouteAccess/metered``: over the key's requests-per-minute or concurrency limit, 429 `rate_limit_exceeded` with
///   `retry-after` (and a ledger row); otherwise the request runs with a ``RequestAccess`` in its context, its
///   response carries OpenAI's `x-ratelimit-*` headers, and its ledger row is written before the last byte goes out.
/// - ``RouteAccess/meteredWithTokens``: the same, but the route admits the request once it knows whether an upstream
///   serves it (``RequestAccess/admit()``, or with its tokens in
///   ``RequestAccess/reserve(promptTokens:maxCompletionTokens:)``); a refusal is the same 429.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = TernRequestContext

    let control: AccessControl
    /// What the route needs; never ``RouteAccess/open``.
    let access: RouteAccess
    /// The route's path pattern, as the ledger records it.
    let endpoint: String

    /// The shape its refusals are written in.
    let style: ErrorStyle

    init(control: AccessControl, access: RouteAccess, endpoint: String, style: ErrorStyle = .openAI) {
        self.style = style
        precondition(access != .open, "open routes have no access check")
        self.control = control
        self.access = access
        self.endpoint = endpoint
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let now = Date()
        guard let secret = Self.bearerToken(request.headers[.authorization]) ?? Self.apiKeyHeader(request.headers[Self.xAPIKey]) else {
            return refusal(Self.missingKey(style))
        }
        let key: APIKey?
        do {
            key = try await control.keys.key(for: secret)
        } catch {
            context.logger.error("key lookup failed", metadata: ["error": "\(error)"])
            return refusal(.internalError())
        }
        guard let key else { return refusal(.invalidAPIKey(secret.value)) }
        guard key.isActive(at: now) else {
            let reason = key.revokedAt != nil ? "has been revoked" : "has expired"
            return refusal(
                OpenAIError(
                    status: 401, message: "The API key \(key.prefix)*** \(reason).", type: "invalid_request_error", code: "invalid_api_key"))
        }
        var context = context
        context.key = key
        context.logger[metadataKey: "key.id"] = .string(key.id)
        context.requestLog.authenticated(keyID: key.id)
        switch access {
        case .open, .anyKey:
            return try await next(request, context)
        case .admin:
            guard key.isAdmin else {
                return refusal(.permissionDenied("This API key may not use the admin API; create an admin key with `tern keys create --admin`."))
            }
            context.adminKey = key
            return try await next(request, context)
        case .metered, .meteredWithTokens:
            return try await metered(request, context: context, key: key, now: now, next: next)
        }
    }

    /// A `/v1` request: admitted under the key's limits (here, or by its route for ``RouteAccess/meteredWithTokens``),
    /// its usage written to the ledger once, whichever way it ends; a refusal is a request too.
    private func metered(
        _ request: Request, context: Context, key: APIKey, now: Date, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let policy = KeyPolicy(key: key, defaults: control.defaultLimits)
        let access = RequestAccess(
            key: key, policy: policy, endpoint: endpoint, control: control, startedAt: now, log: context.requestLog,
            logger: context.logger)
        context.access = access
        var refused: OpenAIError?
        if self.access == .metered {
            do { try await access.admit() } catch let error as OpenAIError { refused = error }
        }
        var response: Response
        if let refused {
            response = refusal(refused)
        } else {
            do {
                response = try await next(request, context)
            } catch {
                // The client went away before a response existed (the error middleware converts everything else).
                try? await access.commit(status: 499)
                throw error
            }
        }
        RateLimitHeaders.apply(control.limits.snapshot(policy, now: Date()), to: &response.headers)
        if access.isStreaming, response.status == .ok {
            // The controller commits before `data: [DONE]`; this covers a stream that ended another way.
            let body = response.body
            let logger = context.logger
            response.body = ResponseBody(contentLength: body.contentLength) { writer in
                do {
                    try await body.write(writer)
                } catch {
                    try? await access.commit(status: 499)
                    throw error
                }
                do { try await access.commit(status: 200) } catch { logger.error("usage not recorded", metadata: ["error": "\(error)"]) }
            }
            return response
        }
        do {
            try await access.commit(status: Int(response.status.code))
        } catch {
            context.logger.error("usage not recorded", metadata: ["error": "\(error)"])
            return refusal(Self.ledgerFailure)
        }
        return response
    }

    /// The key of `Authorization: Bearer KEY`; nil when the header is missing or has another scheme.
    static func bearerToken(_ header: String?) -> APIKeySecret? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingHTTPWhitespace
        return token.isEmpty ? nil : APIKeySecret(String(token))
    }

    /// `error` as a response in the route's style.
    private func refusal(_ error: OpenAIError) -> Response { OpenAIHTTPError.response(for: error, style: style) }

    /// Anthropic's key header, which its SDKs send instead of a bearer token.
    static let xAPIKey = HTTPField.Name("x-api-key")!

    /// The key of `x-api-key: KEY`; nil when the header is missing or empty.
    static func apiKeyHeader(_ header: String?) -> APIKeySecret? {
        guard let token = header?.trimmingHTTPWhitespace, !token.isEmpty else { return nil }
        return APIKeySecret(String(token))
    }

    /// 401 for a request without a key.
    static func missingKey(_ style: ErrorStyle) -> OpenAIError {
        var error = OpenAIError.missingAPIKey
        error.code = "invalid_api_key"
        if style == .anthropic { error.message = "You didn't provide an API key. Send it in an x-api-key header (or Authorization: Bearer)." }
        return error
    }

    /// 500 when the ledger cannot be written: nothing is delivered that is not recorded.
    static let ledgerFailure = OpenAIError.internalError("The server could not record the usage of this request, so it was not delivered.")
}
