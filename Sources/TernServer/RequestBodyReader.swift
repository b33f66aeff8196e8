import Foundation
import Hummingbird
import TernOpenAI

/// Reads a JSON request body with the checks OpenAI's API makes: a JSON content type and a size limit.
struct RequestBodyReader: Sendable {
    /// The largest body accepted.
    let maxBytes: Int

    /// Checks the content type and length, then collects the body (keeping it on the request, so that
    /// `consumeWithCancellationOnInboundClose` can still watch the connection).
    func read(_ request: inout Request) async throws(OpenAIHTTPError) -> [UInt8] {
        if let contentType = request.headers[.contentType], !Self.isJSON(contentType) {
            throw OpenAIHTTPError(
                OpenAIError(
                    status: 400,
                    message: "Unsupported content type '\(contentType)'. The request body must be JSON, sent with "
                        + "'Content-Type: application/json'.", type: "invalid_request_error", code: "invalid_content_type"))
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBytes {
            throw OpenAIHTTPError(.bodyTooLarge(limit: maxBytes))
        }
        do {
            let buffer = try await request.collectBody(upTo: maxBytes)
            return Array(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw OpenAIHTTPError(.bodyTooLarge(limit: maxBytes))
        } catch {
            throw OpenAIHTTPError(.invalidRequest("The request body could not be read: \(error)."))
        }
    }

    /// `application/json` or any `…+json` type, parameters such as `charset` allowed.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }
}
