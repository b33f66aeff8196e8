import Hummingbird

/// CORS for the listed origins only (`--cors-origin`): preflights answered, `access-control-allow-origin` set for
/// requests from those origins, nothing for any other. Without origins the middleware is not installed, and browsers
/// on other sites cannot read Tern's answers.
struct CORSOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Origins allowed, exactly as browsers send them (`https://app.example.com`).
    let origins: Set<String>

    static var allowedMethods: String { "GET, POST, DELETE, OPTIONS" }
    static var allowedHeaders: String { "authorization, content-type, openai-organization, openai-project, x-stainless-*" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers: HTTPFields = [
                .accessControlAllowOrigin: origin, .accessControlAllowMethods: Self.allowedMethods, .accessControlMaxAge: "600", .vary: "Origin",
            ]
            // Echo the requested headers: the SDKs send their own `x-stainless-…` set, which changes between versions.
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? Self.allowedHeaders
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
