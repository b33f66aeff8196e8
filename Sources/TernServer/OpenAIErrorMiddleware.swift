public import Hummingbird
import Logging
import TernOpenAI

/// Turns every error of a request into OpenAI's envelope: Hummingbird's own 404s (and 405 for a known path with
/// the wrong method), body-size errors, and anything unexpected (500, logged).
public struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Paths served, with their methods, to tell "no such route" (404) from "wrong method" (405).
    let routes: RouteTable

    init(routes: RouteTable) {
        self.routes = routes
    }

    /// Runs the rest of the chain and converts what it throws.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as OpenAIHTTPError {
            return OpenAIHTTPError.response(for: error.error)
        } catch let error as OpenAIError {
            return OpenAIHTTPError.response(for: error)
        } catch let error as any HTTPResponseError {
            return OpenAIHTTPError.response(for: translate(error, request: request))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "http.path": "\(request.uri.path)"])
            return OpenAIHTTPError.response(for: .internalError())
        }
    }

    private func translate(_ error: any HTTPResponseError, request: Request) -> OpenAIError {
        let path = request.uri.path
        switch error.status {
        case .notFound:
            let allowed = routes.methods(for: path)
            if !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
                return .methodNotAllowed(method: request.method.rawValue, path: path, allowed: allowed)
            }
            return .notFound("\(request.method.rawValue) \(path)")
        case .contentTooLarge:
            return .bodyTooLarge(limit: routes.maxBodyBytes)
        default:
            let status = error.status
            let type = status.code >= 500 ? "server_error" : "invalid_request_error"
            return OpenAIError(status: status.code, message: status.reasonPhrase, type: type)
        }
    }
}

/// The methods served on each path, and the body limit, for error messages.
struct RouteTable: Sendable {
    /// Exact paths and their methods.
    var exact: [String: [String]]
    /// Path prefixes (for routes with a trailing parameter) and their methods.
    var prefixes: [(prefix: String, methods: [String])]
    /// The body limit, for the 413 message.
    var maxBodyBytes: Int

    /// Methods allowed on `path`, empty when no route has that path.
    func methods(for path: String) -> [String] {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if let methods = exact[trimmed] { return methods }
        return prefixes.first { trimmed.hasPrefix($0.prefix) && trimmed.count > $0.prefix.count }?.methods ?? []
    }
}
