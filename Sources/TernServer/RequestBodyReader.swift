import Foundation
import Hummingbird
import TernOpenAI

/// Reads a JSON request body with the checks OpenAI's API makes: a JSON content type and a size limit.
struct RequestBodyReader: Sendable {
    /// The largest body accepted.
    let maxBytes: Int
    /// How long the whole body may take to arrive (a client trickling it byte by byte holds a connection); nil for ever.
    var timeout: Duration? = nil

    /// Checks the content type and length, then collects the body.
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
            let buffer = try await collect(&request)
            return Array(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw OpenAIHTTPError(.bodyTooLarge(limit: maxBytes))
        } catch is BodyTimeout {
            throw OpenAIHTTPError(
                OpenAIError(
                    status: 408, message: "The request body did not arrive within \(timeout.map { "\($0)" } ?? "the time limit").",
                    type: "invalid_request_error", code: "request_timeout"))
        } catch {
            throw OpenAIHTTPError(.invalidRequest("The request body could not be read: \(error)."))
        }
    }

    private struct BodyTimeout: Error {}

    /// Collects the body, giving up after ``timeout``.
    private func collect(_ request: inout Request) async throws -> ByteBuffer {
        guard let timeout else { return try await request.collectBody(upTo: maxBytes) }
        let limit = maxBytes
        let original = request
        let collected = try await withThrowingTaskGroup(of: Request?.self) { group in
            group.addTask {
                var request = original
                _ = try await request.collectBody(upTo: limit)
                return request
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let request = first else { throw BodyTimeout() }
            return request
        }
        request = collected
        return try await request.collectBody(upTo: maxBytes)
    }

    /// `application/json` or any `…+json` type, parameters such as `charset` allowed.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }
}
