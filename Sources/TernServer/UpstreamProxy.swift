import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import TernJSON
import TernOpenAI

/// Sends the requests for ``Upstream`` models to their servers and passes the answers back: whole, or event by event
/// as they arrive. The key's model permission, limits, budget and ledger row apply as to a local model.
///
/// The body goes as the client sent it, with the upstream's model name, and for a stream with
/// `stream_options.include_usage` so that the ledger gets the upstream's token counts (the usage chunk is passed on
/// only to a client that asked for it). A model with several deployments is balanced by ``UpstreamPool``; a
/// deployment that cannot be reached, times out, or answers 5xx or 429 before anything was sent to the client is
/// cooled down and the request goes to another. Errors of the upstream in OpenAI's envelope pass through; anything
/// else is a 502 in the envelope; once a stream has begun, a failure ends it with an error event.
struct UpstreamProxy: Sendable {
    /// The endpoints that may go upstream, as paths under the upstream's base URL.
    enum Endpoint: String, Sendable, CaseIterable {
        case chatCompletions = "chat/completions"
        case completions
        case embeddings
    }

    /// The upstream models' deployments.
    let pool: UpstreamPool
    let bodyReader: RequestBodyReader
    /// Most tokens a request that sets no limit may generate: what its reservation counts.
    let defaultMaxTokens: Int
    /// How long an upstream may take to start answering.
    var headTimeout: TimeAmount = .seconds(600)

    /// Why one deployment did not answer: tried on another when there is one.
    private enum Failure: Error {
        /// Not reached, timed out, or broke off before its first event.
        case unreachable(OpenAIError)
        /// A 5xx or 429, as it answered.
        case refused(Response)
    }

    /// The answer of the upstream when the body names an upstream model; nil (with the body read into `request`)
    /// for a local one.
    func forward(_ request: inout Request, context: TernRequestContext, endpoint: Endpoint) async throws -> Response? {
        let bytes = try await bodyReader.read(&request)
        let parsed = try? await onThread(named: "tern-parse", bytes: bytes.count, threshold: Self.parsedInline) { try JSONValue.parse(bytes) }
        guard case .object(var body)? = parsed, let name = body["model"]?.stringValue, pool.serves(name) else { return nil }
        try context.access?.use(model: name, names: [name])
        let streaming = body["stream"] == .bool(true)
        var clientWantsUsage = true
        if streaming {
            var options = JSONObject()
            if case .object(let given)? = body["stream_options"] { options = given }
            clientWantsUsage = options["include_usage"] == .bool(true)
            options["include_usage"] = .bool(true)
            body["stream_options"] = .object(options)
        }
        // The prompt's tokens are not known here: its length in bytes bounds them (a token is at least one byte). An
        // answer without the upstream's count is charged this whole reservation.
        let reservation = Usage(promptTokens: bytes.count, completionTokens: Self.completionBound(body, endpoint, defaultMaxTokens))
        try await context.access?.reserve(promptTokens: reservation.promptTokens, maxCompletionTokens: reservation.completionTokens)
        var tried = Set<Int>()
        var last: Failure?
        while let deployment = pool.take(name, excluding: tried) {
            tried.insert(deployment.index)
            body["model"] = .string(deployment.upstream.model)
            do {
                if streaming {
                    return try await stream(
                        body, to: deployment, endpoint: endpoint, access: context.access, passUsage: clientWantsUsage, reservation: reservation)
                }
                return try await whole(body, to: deployment, endpoint: endpoint, access: context.access, reservation: reservation)
            } catch let failure as Failure {
                // A client that hung up is not the deployment's fault.
                guard !Task.isCancelled else {
                    pool.finished(deployment)
                    throw CancellationError()
                }
                pool.finished(deployment, failed: true)
                last = failure
            }
        }
        switch last {
        case .refused(let response): return response
        case .unreachable(let error): throw error
        case nil: throw OpenAIError.modelNotFound(name)
        }
    }

    /// Sends `body`; the response head, or a ``Failure`` worth trying elsewhere. An answer that is an error of the
    /// request itself (4xx but 429) is returned as it came, for the client.
    private func send(_ body: JSONObject, to deployment: UpstreamPool.Deployment, endpoint: Endpoint, streaming: Bool) async throws
        -> Sent
    {
        let upstream = deployment.upstream
        var outgoing = HTTPClientRequest(url: deployment.urls[endpoint]!)  // made for every endpoint
        outgoing.method = .POST
        outgoing.headers.add(name: "Content-Type", value: "application/json")
        outgoing.headers.add(name: "Accept", value: streaming ? "text/event-stream" : "application/json")
        if let key = upstream.apiKey { outgoing.headers.add(name: "Authorization", value: "Bearer \(key)") }
        outgoing.body = .bytes(ByteBuffer(string: JSONValue.object(body).jsonText))
        let response: HTTPClientResponse
        do {
            response = try await UpstreamClients.current.execute(outgoing, timeout: headTimeout)
        } catch {
            throw Failure.unreachable(Self.unreachable(upstream, error))
        }
        let status = response.status.code
        if (200..<300).contains(status) { return .head(response) }
        let text = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
        let answer = Self.failure(upstream, status: response.status, body: text)
        if status >= 500 || status == 429 { throw Failure.refused(answer) }
        return .answered(answer)
    }

    /// The largest body parsed on the request's event loop; a larger one is parsed on a thread of its own.
    private static let parsedInline = 256 << 10

    /// What ``send(_:to:endpoint:streaming:)`` got: a successful head to read on, or an answer for the client.
    private enum Sent {
        case head(HTTPClientResponse)
        case answered(Response)
    }

    private func whole(
        _ body: JSONObject, to deployment: UpstreamPool.Deployment, endpoint: Endpoint, access: RequestAccess?, reservation: Usage
    ) async throws -> Response {
        let answer: ByteBuffer
        switch try await send(body, to: deployment, endpoint: endpoint, streaming: false) {
        case .answered(let response):
            pool.finished(deployment)
            return response
        case .head(let response):
            do {
                answer = try await response.body.collect(upTo: 256 << 20)
            } catch {
                throw Failure.unreachable(Self.unreachable(deployment.upstream, error))
            }
        }
        pool.finished(deployment)
        let parsed = try? await onThread(named: "tern-parse", bytes: answer.readableBytes, threshold: Self.parsedInline) {
            try JSONValue.parse(answer.readableBytesView)
        }
        let usage = parsed.flatMap(Self.usage)
        try await access?.commitOrFail(status: 200, usage: usage ?? reservation)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: answer))
    }

    /// A stream, returned once its first event has arrived: until then the client has been sent nothing, so a
    /// deployment that breaks off can still be replaced.
    private func stream(
        _ body: JSONObject, to deployment: UpstreamPool.Deployment, endpoint: Endpoint, access: RequestAccess?, passUsage: Bool,
        reservation: Usage
    ) async throws -> Response {
        let response: HTTPClientResponse
        switch try await send(body, to: deployment, endpoint: endpoint, streaming: true) {
        case .answered(let answer):
            pool.finished(deployment)
            return answer
        case .head(let head): response = head
        }
        let reader = EventReader(response.body.makeAsyncIterator())
        let first: [[UInt8]]
        do {
            first = try await reader.next()
        } catch {
            throw Failure.unreachable(Self.unreachable(deployment.upstream, error))
        }
        guard !first.isEmpty else {
            throw Failure.unreachable(Self.unreachable(deployment.upstream, UpstreamClosed()))
        }
        access?.markStreaming()
        let (pool, upstream) = (pool, deployment.upstream)
        // Runs once: at the end of the body, or when the body is never written (the client left before the head).
        // Without the upstream's count (it never came, or the client left first) the reservation is charged.
        let end = StreamEnd { usage, status in
            pool.finished(deployment)
            return await access?.commitReportingFailure(status: status, usage: usage ?? reservation)
        }
        return Response(
            status: .ok, headers: [.contentType: ServerSentEvents.contentType, .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var usage: Usage?
                var events = first
                do {
                    while !events.isEmpty {
                        for event in events {
                            guard let data = EventStreamSplitter.data(of: event) else { continue }
                            if data == Array("[DONE]".utf8) {
                                // In the ledger before the last event goes out.
                                if let failure = await end.run(usage: usage, status: 200) {
                                    try await writer.write(ByteBuffer(bytes: ServerSentEvents.error(failure)))
                                    try await writer.finish(nil)
                                    return
                                }
                            } else if let value = try? JSONValue.parse(data), let reported = Self.usage(value) {
                                usage = reported
                                if !passUsage, case .object(let chunk) = value, chunk["choices"] == .array([]) { continue }
                            }
                            try await writer.write(ByteBuffer(bytes: event))
                        }
                        events = try await reader.next()
                    }
                } catch {
                    // The upstream broke off after the stream began (or the client left): an error event ends it.
                    _ = await end.run(usage: usage, status: 200)
                    try await writer.write(ByteBuffer(bytes: ServerSentEvents.error(Self.unreachable(upstream, error))))
                }
                _ = await end.run(usage: usage, status: 200)
                try await writer.finish(nil)
            })
    }

    /// An upstream that ended its stream before its first event.
    private struct UpstreamClosed: Error, CustomStringConvertible {
        var description: String { "the stream ended before its first event" }
    }

    /// The whole events of an upstream's stream, as they complete. Used by one task at a time: first the request's,
    /// then the response body's writer.
    private final class EventReader: @unchecked Sendable {
        private var iterator: HTTPClientResponse.Body.AsyncIterator
        private var splitter = EventStreamSplitter()

        init(_ iterator: HTTPClientResponse.Body.AsyncIterator) {
            self.iterator = iterator
        }

        /// The next events; empty once the stream has ended.
        func next() async throws -> [[UInt8]] {
            while let chunk = try await iterator.next() {
                let events = splitter.feed(chunk.readableBytesView)
                if !events.isEmpty { return events }
            }
            let rest = splitter.finish()
            return rest.isEmpty ? [] : [rest]
        }
    }

    /// The most tokens the request may generate, over all its choices; none for embeddings. Saturates instead of
    /// overflowing: the values come from the client.
    static func completionBound(_ body: JSONObject, _ endpoint: Endpoint, _ defaultMaxTokens: Int) -> Int {
        guard endpoint != .embeddings else { return 0 }
        let limit = body["max_completion_tokens"]?.integerValue ?? body["max_tokens"]?.integerValue ?? Int64(defaultMaxTokens)
        let choices = body["n"]?.integerValue ?? 1
        var prompts: Int64 = 1
        if endpoint == .completions, case .array(let list)? = body["prompt"] { prompts = Int64(list.count) }
        var bound = Int64(0)
        for (index, factor) in [max(0, limit), max(1, choices), max(1, prompts)].enumerated() {
            let (product, overflow) = (index == 0 ? 1 : bound).multipliedReportingOverflow(by: factor)
            bound = overflow ? Self.saturated : min(product, Self.saturated)
        }
        return Int(bound)
    }

    /// Larger than any budget or limit, small enough to add to without overflow.
    static let saturated = Int64(1) << 50

    /// The token counts of an answer or a chunk, when it reports them.
    static func usage(_ value: JSONValue) -> Usage? {
        guard case .object(let answer) = value, case .object(let usage)? = answer["usage"] else { return nil }
        var cached = 0
        if case .object(let details)? = usage["prompt_tokens_details"] { cached = Int(details["cached_tokens"]?.integerValue ?? 0) }
        return Usage(
            promptTokens: Int(usage["prompt_tokens"]?.integerValue ?? 0), completionTokens: Int(usage["completion_tokens"]?.integerValue ?? 0),
            cachedTokens: cached)
    }

    /// An upstream's error answer: as it came when it is in OpenAI's envelope, else a 502 that quotes it.
    /// An upstream that refuses Tern's own key (401, 403) is a fault of the configuration, not of the request: 502.
    static func failure(_ upstream: Upstream, status: HTTPResponseStatus, body: ByteBuffer) -> Response {
        if status.code == 401 || status.code == 403 {
            return OpenAIHTTPError.response(
                for: OpenAIError(
                    status: 502, message: "The upstream of `\(upstream.id)` refused this server's key (\(status.code)).",
                    type: "server_error", code: "upstream_error"), style: .openAI)
        }
        if case .object(let answer)? = try? JSONValue.parse(body.readableBytesView), case .object? = answer["error"] {
            return Response(
                status: .init(code: Int(status.code)), headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
        }
        let quoted = String(decoding: body.readableBytesView.prefix(200), as: UTF8.self)
        return OpenAIHTTPError.response(
            for: OpenAIError(
                status: 502, message: "The upstream of `\(upstream.id)` answered \(status.code) \(status.reasonPhrase): \(quoted)",
                type: "server_error", code: "upstream_error"), style: .openAI)
    }

    /// 502 for an upstream that could not be reached or broke off.
    static func unreachable(_ upstream: Upstream, _ error: any Error) -> OpenAIError {
        OpenAIError(
            status: 502, message: "The upstream of `\(upstream.id)` could not be reached or broke off: \(Self.reason(error)).",
            type: "server_error", code: "upstream_unavailable")
    }

    /// What went wrong, for a client: the error's own words, shortened.
    static func reason(_ error: any Error) -> String {
        String(String(describing: error).prefix(200))
    }
}
