public import HTTPTypes
import Hummingbird

/// One route of the server: the method and path pattern the router matches, who may call it, and its handler.
///
/// The server's routes are one list (``TernServer/routes()``): the router, the access check, the 405 answers and the
/// tests that walk every route all follow from it, so a new route is covered wherever routes are.
public struct TernRoute: Sendable {
    /// The method.
    public let method: HTTPRequest.Method
    /// The path pattern, in Hummingbird's syntax (`/admin/keys/{key}`, `/v1/models/**`).
    public let path: String
    /// Who may call it; a key is needed unless a route says otherwise.
    let access: RouteAccess
    /// How its errors are written, its access refusals included.
    let errorStyle: ErrorStyle
    let handler: @Sendable (Request, TernRequestContext) async throws -> Response

    init(
        _ method: HTTPRequest.Method, _ path: String, access: RouteAccess = .metered, errorStyle: ErrorStyle = .openAI,
        _ handler: @escaping @Sendable (Request, TernRequestContext) async throws -> Response
    ) {
        self.method = method
        self.path = path
        self.access = access
        self.errorStyle = errorStyle
        self.handler = handler
    }

    /// Whether the route answers without a key.
    public var isOpen: Bool { access == .open }
    /// Whether the route needs an admin key.
    public var needsAdmin: Bool { access == .admin }
}
