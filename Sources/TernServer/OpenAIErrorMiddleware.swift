public import Hummingbird
import Logging
import TernOpenAI

/// Turns every error of a request into OpenAI's envelope: Hummingbird's own 404s, body-size errors, and anything
/// unexpected (500, logged).
public struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The body limit, for the 413 message.
    let maxBodyBytes: Int
    /// The shape errors are written in.
    let style: ErrorStyle

    init(maxBodyBytes: Int, style: ErrorStyle = .openAI) {
        self.maxBodyBytes = maxBodyBytes
        self.style = style
    }

    /// Runs the rest of the chain and converts what it throws.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as OpenAIHTTPError {
            return OpenAIHTTPError.response(for: error.error, style: style)
        } catch let error as OpenAIError {
            return OpenAIHTTPError.response(for: error, style: style)
        } catch let error as any HTTPResponseError {
            return OpenAIHTTPError.response(for: translate(error, request: request), style: style)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "http.path": "\(request.uri.path)"])
            return OpenAIHTTPError.response(for: .internalError(), style: style)
        }
    }

    private func translate(_ error: any HTTPResponseError, request: Request) -> OpenAIError {
        switch error.status {
        case .notFound:
            return .notFound("\(request.method.rawValue) \(request.uri.path)")
        case .contentTooLarge:
            return .bodyTooLarge(limit: maxBodyBytes)
        default:
            let status = error.status
            let type = status.code >= 500 ? "server_error" : "invalid_request_error"
            return OpenAIError(status: status.code, message: status.reasonPhrase, type: type)
        }
    }
}
