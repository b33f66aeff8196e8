import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import TernOpenAI

/// The outermost middleware: gives every request an id (the client's `x-request-id` when it sent a usable one), sends
/// it back in `x-request-id`, puts it in the request's log metadata, and writes one access-log line per request:
/// method, route, status, key id, tokens and duration. Prompts never appear here.
///
/// A whole body (its length known) is logged when it is ready and goes out as one buffer, which Hummingbird writes
/// with the head in one go; a stream is logged once it has been sent (499 when the client left first).
public struct AccessLogMiddleware: RouterMiddleware {
    public typealias Context = TernRequestContext

    /// `x-request-id`.
    static let requestID = HTTPField.Name("x-request-id")!

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let id = Self.usableID(request.headers[Self.requestID]) ?? Self.newID()
        var context = context
        context.logger[metadataKey: "request.id"] = .string(id)
        let entry = context.requestLog
        let logger = context.logger
        let method = request.method.rawValue
        let path = request.uri.path
        var response: Response
        do {
            response = try await EventLoopTaskExecutor.preferring(context.channel.eventLoop) { try await next(request, context) }
        } catch {
            Self.log(logger, method: method, path: path, status: 499, entry: entry, since: started)
            throw error
        }
        response.headers[Self.requestID] = id
        let status = Int(response.status.code)
        let body = response.body
        if body.contentLength != nil {
            let whole = WholeBody()
            do {
                try await body.write(whole)
            } catch {
                Self.log(logger, method: method, path: path, status: 500, entry: entry, since: started)
                throw error
            }
            response.body = ResponseBody(byteBuffer: whole.box.buffer ?? ByteBuffer())
            Self.log(logger, method: method, path: path, status: status, entry: entry, since: started)
            return response
        }
        let loop = context.channel.eventLoop
        response.body = ResponseBody(contentLength: nil) { writer in
            do {
                // A stream is written after this middleware returned: on the connection's loop too.
                try await EventLoopTaskExecutor.preferring(loop) { try await body.write(writer) }
            } catch {
                Self.log(logger, method: method, path: path, status: 499, entry: entry, since: started)
                throw error
            }
            Self.log(logger, method: method, path: path, status: status, entry: entry, since: started)
        }
        return response
    }

    private static func log(
        _ logger: Logger, method: String, path: String, status: Int, entry: RequestLogEntry, since started: ContinuousClock.Instant
    ) {
        let fields = entry.current
        let milliseconds = (ContinuousClock.now - started).seconds * 1000
        logger.info(
            "request",
            metadata: [
                "http.method": .string(method), "http.route": .string(fields.route ?? path), "http.status": .stringConvertible(status),
                "key.id": .string(fields.keyID ?? "-"), "tokens.prompt": .stringConvertible(fields.promptTokens),
                "tokens.completion": .stringConvertible(fields.completionTokens),
                // One decimal, without Foundation's formatting (this runs for every request).
                "duration.ms": .string(String((milliseconds * 10).rounded() / 10)),
            ])
    }

    /// Collects a body whose length is known into one buffer.
    private struct WholeBody: ResponseBodyWriter {
        final class Box {
            var buffer: ByteBuffer?
        }
        let box = Box()

        mutating func write(_ buffer: ByteBuffer) async throws {
            if box.buffer == nil {
                box.buffer = buffer
            } else {
                box.buffer!.writeImmutableBuffer(buffer)
            }
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    /// The client's id when it is 1 to 128 visible ASCII characters; anything else is replaced.
    static func usableID(_ header: String?) -> String? {
        guard let header, (1...128).contains(header.utf8.count), header.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return header
    }

    /// `req_` and 24 random letters and digits.
    static func newID() -> String {
        "req_" + OpenAIIdentifier.randomBase62(count: 24)
    }
}

/// Tells the access log which route the router matched, before anything can refuse the request.
struct RouteLogMiddleware: RouterMiddleware {
    typealias Context = TernRequestContext
    let route: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.requestLog.matched(route: route)
        return try await next(request, context)
    }
}
