import Hummingbird
import NIOCore
import NIOPosix
import Synchronization
import TernOpenAI

/// Reads a JSON request body with the checks OpenAI's API makes: a JSON content type and a size limit.
struct RequestBodyReader: Sendable {
    /// The largest body accepted.
    let maxBytes: Int
    /// How long the whole body may take to arrive (a client trickling it byte by byte holds a connection); nil for ever.
    var timeout: Duration? = nil

    /// Bodies shorter than this are decoded, and their prompts prepared, on the request's event loop; the others on a
    /// thread of their own. A JSON document of megabytes takes long to decode, render and tokenize (30,000 chat
    /// messages in 3.7 MB: about 0.2 s), and meanwhile every other connection of that loop would wait.
    static let inlineBytes = 64 << 10

    /// Reads the body (as ``read(_:)``) and decodes it with `decode`: inline when it is shorter than ``inlineBytes``,
    /// else on a thread of its own. Returns the value and the body's size, by which the work that follows
    /// (rendering and tokenizing a prompt) chooses the same way.
    func decode<Value: Sendable>(
        _ request: inout Request, _ decode: @escaping @Sendable ([UInt8]) throws -> Value
    ) async throws -> (value: Value, bytes: Int) {
        let body = try await read(&request)
        let value = try await onThread(named: "tern-decode", bytes: body.count, threshold: Self.inlineBytes) { try decode(body) }
        return (value, body.count)
    }

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

    /// Whether the body's timer went off.
    private final class Deadline: Sendable {
        let passed = Atomic(false)
    }

    /// Collects the body, giving up after ``timeout``.
    ///
    /// The deadline is a timer on the connection's event loop, not a sleeping task: `Task.sleep` arms and disarms a
    /// timer on another thread for every request.
    private func collect(_ request: inout Request) async throws -> ByteBuffer {
        guard let timeout else { return try await request.collectBody(upTo: maxBytes) }
        let limit = maxBytes
        let original = request
        let collecting = Task(executorPreference: EventLoopTaskExecutor.current) {
            var request = original
            _ = try await request.collectBody(upTo: limit)
            return request
        }
        let deadline = Deadline()
        let loop = EventLoopTaskExecutor.current?.loop ?? MultiThreadedEventLoopGroup.singleton.any()
        let timer = loop.scheduleTask(in: TimeAmount(timeout)) {
            deadline.passed.store(true, ordering: .relaxed)
            collecting.cancel()
        }
        defer { timer.cancel() }
        do {
            request = try await withTaskCancellationHandler {
                try await collecting.value
            } onCancel: {
                collecting.cancel()
            }
        } catch  where deadline.passed.load(ordering: .relaxed) {
            throw BodyTimeout()
        }
        return try await request.collectBody(upTo: maxBytes)
    }

    /// `application/json` or any `…+json` type, parameters such as `charset` allowed.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = (contentType.split(separator: ";", maxSplits: 1).first ?? "").trimmingHTTPWhitespace.lowercased()
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }
}
