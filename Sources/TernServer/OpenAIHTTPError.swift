public import Hummingbird
public import TernOpenAI

/// An ``OpenAIError`` thrown through Hummingbird: rendered as OpenAI's JSON envelope with its status.
///
/// Hummingbird's `HTTPError` writes a different body, so every error leaving a handler is converted to this type
/// (see ``OpenAIErrorMiddleware``).
///
/// ```swift
/// throw OpenAIHTTPError(.modelNotFound("gpt-5"))
/// ```
public struct OpenAIHTTPError: HTTPResponseError, Sendable {
    /// The error to send.
    public var error: OpenAIError

    /// Wraps `error`.
    public init(_ error: OpenAIError) {
        self.error = error
    }

    /// The HTTP status carried by the error.
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: error.status) }

    /// `{"error":{…}}` with `content-type: application/json`; for 429 and 503 `retry-after`, for 408 and 413
    /// `connection: close`.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Self.response(for: error)
    }

    /// The response for `error`, outside a request (also used by the middleware), in the route's `style`.
    public static func response(for error: OpenAIError, style: ErrorStyle = .openAI) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        // Sent before the body was read (too large, too slow): the connection ends with the answer, not the idle timeout.
        if error.status == 408 || error.status == 413 { headers[.connection] = "close" }
        return Response(
            status: HTTPResponse.Status(code: error.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: style.body(for: error))))
    }
}
