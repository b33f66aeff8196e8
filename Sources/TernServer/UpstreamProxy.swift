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
/// only to a client that asked for it). Errors of the upstream in OpenAI's envelope pass through; anything else, and
/// an upstream that cannot be reached, is a 502 in the envelope.
struct UpstreamProxy: Sendable {
    /// The endpoints that may go upstream, as paths under the upstream's base URL.
    enum Endpoint: String, Sendable {
        case chatCompletions = "chat/completions"
        case completions
        case embeddings
    }

    /// The upstream models by the id clients use.
    let upstreams: [String: Upstream]
    let bodyReader: RequestBodyReader
    /// Most tokens a request that sets no limit may generate: what its reservation counts.
    let defaultMaxTokens: Int
    /// How long an upstream may take to start answering.
    var headTimeout: TimeAmount = .seconds(600)

    private var client: HTTPClient { .shared }

    /// The answer of the upstream when the body names an upstream model; nil (with the body read into `request`)
    /// for a local one.
    func forward(_ request: inout Request, context: TernRequestContext, endpoint: Endpoint) async throws -> Response? {
        let bytes = try await bodyReader.read(&request)
        guard case .object(var body)? = try? JSONValue.parse(bytes), let name = body["model"]?.stringValue, let upstream = upstreams[name]
        else { return nil }
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
        body["model"] = .string(upstream.model)
        // The prompt's tokens are not known here: its length in bytes bounds them (a token is at least one byte).
        try await context.access?.reserve(promptTokens: bytes.count, maxCompletionTokens: Self.completionBound(body, endpoint, defaultMaxTokens))

        var outgoing = HTTPClientRequest(url: upstream.baseURL.appendingPathComponent(endpoint.rawValue).absoluteString)
        outgoing.method = .POST
        outgoing.headers.add(name: "Content-Type", value: "application/json")
        outgoing.headers.add(name: "Accept", value: streaming ? "text/event-stream" : "application/json")
        if let key = upstream.apiKey { outgoing.headers.add(name: "Authorization", value: "Bearer \(key)") }
        outgoing.body = .bytes(ByteBuffer(string: JSONValue.object(body).jsonText))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(outgoing, timeout: headTimeout)
        } catch {
            throw Self.unreachable(upstream, error)
        }
        guard (200..<300).contains(response.status.code) else {
            let text = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            return try Self.failure(upstream, status: response.status, body: text)
        }
        guard streaming else {
            let whole: ByteBuffer
            do {
                whole = try await response.body.collect(upTo: 256 << 20)
            } catch {
                throw Self.unreachable(upstream, error)
            }
            let usage = (try? JSONValue.parse(whole.readableBytesView)).flatMap(Self.usage)
            try await context.access?.commitOrFail(status: 200, usage: usage ?? Usage(promptTokens: 0, completionTokens: 0))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: whole))
        }
        context.access?.markStreaming()
        let (access, passUsage) = (context.access, clientWantsUsage)
        return Response(
            status: .ok, headers: [.contentType: ServerSentEvents.contentType, .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var events = EventStreamSplitter()
                var usage: Usage?
                do {
                    for try await chunk in response.body {
                        for event in events.feed(chunk.readableBytesView) {
                            guard let data = EventStreamSplitter.data(of: event) else { continue }
                            if data == Array("[DONE]".utf8) {
                                // In the ledger before the last event goes out.
                                if let failure = await access?.commitReportingFailure(
                                    status: 200, usage: usage ?? Usage(promptTokens: 0, completionTokens: 0))
                                {
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
                    }
                } catch {
                    // The upstream broke off after the stream began: the client learns it from an error event.
                    let failure = Self.unreachable(upstream, error)
                    _ = await access?.commitReportingFailure(status: 200, usage: usage ?? Usage(promptTokens: 0, completionTokens: 0))
                    try await writer.write(ByteBuffer(bytes: ServerSentEvents.error(failure)))
                }
                try await writer.finish(nil)
            })
    }

    /// The most tokens the request may generate, over all its choices; none for embeddings.
    static func completionBound(_ body: JSONObject, _ endpoint: Endpoint, _ defaultMaxTokens: Int) -> Int {
        guard endpoint != .embeddings else { return 0 }
        let limit = body["max_completion_tokens"]?.integerValue ?? body["max_tokens"]?.integerValue ?? Int64(defaultMaxTokens)
        let choices = body["n"]?.integerValue ?? 1
        let prompts = endpoint == .completions ? Int64(body["prompt"].map { if case .array(let list) = $0 { list.count } else { 1 } } ?? 1) : 1
        return Int(clamping: max(0, limit) * max(1, choices) * max(1, prompts))
    }

    /// The token counts of an answer or a chunk, when it reports them.
    static func usage(_ value: JSONValue) -> Usage? {
        guard case .object(let answer) = value, case .object(let usage)? = answer["usage"] else { return nil }
        var cached = 0
        if case .object(let details)? = usage["prompt_tokens_details"] { cached = Int(details["cached_tokens"]?.integerValue ?? 0) }
        return Usage(
            promptTokens: Int(usage["prompt_tokens"]?.integerValue ?? 0), completionTokens: Int(usage["completion_tokens"]?.integerValue ?? 0),
            cachedTokens: cached)
    }

    /// An upstream's error answer: passed on when it is in OpenAI's envelope, else a 502 that quotes it.
    static func failure(_ upstream: Upstream, status: HTTPResponseStatus, body: ByteBuffer) throws -> Response {
        if case .object(let answer)? = try? JSONValue.parse(body.readableBytesView), case .object? = answer["error"] {
            return Response(
                status: .init(code: Int(status.code)), headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
        }
        let quoted = String(decoding: body.readableBytesView.prefix(200), as: UTF8.self)
        throw OpenAIError(
            status: 502, message: "The upstream of `\(upstream.id)` answered \(status.code) \(status.reasonPhrase): \(quoted)",
            type: "server_error", code: "upstream_error")
    }

    /// 502 for an upstream that could not be reached or broke off.
    static func unreachable(_ upstream: Upstream, _ error: any Error) -> OpenAIError {
        OpenAIError(
            status: 502, message: "The upstream of `\(upstream.id)` (\(upstream.baseURL.absoluteString)) could not be reached: \(error).",
            type: "server_error", code: "upstream_unavailable")
    }
}
