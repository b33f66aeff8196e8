import Hummingbird

/// CORS for the listed origins only (`--cors-origin`): preflights answered, `access-control-allow-origin` set for
/// requests from those origins, nothing for any other. Every answer says `Vary: Origin`, since it depends on the
/// origin, so that a cache never hands one origin's answer to another. Without origins the middleware is not
/// installed, and browsers on other sites cannot read Tern's answers.
struct CORSOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Origins allowed, exactly as browsers send them (`https://app.example.com`).
    let origins: Set<String>

    static var allowedMethods: String { "GET, POST, DELETE, OPTIONS" }
    /// The request headers browsers may send: what the OpenAI SDKs send from a page, each by its name (a preflight
    /// answer names headers; it has no patterns).
    static var allowedHeaders: String {
        [
            "authorization", "content-type", "accept", "openai-organization", "openai-project", "openai-beta", "idempotency-key",
            "x-request-id", "x-stainless-arch", "x-stainless-async", "x-stainless-custom-poll-interval", "x-stainless-helper-method",
            "x-stainless-lang", "x-stainless-os", "x-stainless-package-version", "x-stainless-poll-helper", "x-stainless-retry-count",
            "x-stainless-runtime", "x-stainless-runtime-version", "x-stainless-timeout", "user-agent",
        ].joined(separator: ", ")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) else {
            var response = try await next(request, context)
            response.headers[.vary] = "Origin"
            return response
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            let headers: HTTPFields = [
                .accessControlAllowOrigin: origin, .accessControlAllowMethods: Self.allowedMethods, .accessControlAllowHeaders: Self.allowedHeaders,
                .accessControlMaxAge: "600", .vary: "Origin",
            ]
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        response.headers[.accessControlExposeHeaders] =
            (RateLimitHeaders.names.map(\.rawName) + ["retry-after", "x-request-id"]).joined(separator: ", ")
        return response
    }
}
