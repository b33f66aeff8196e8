import Foundation
import Hummingbird
import TernOpenAI

/// What every response (and every chunk of a stream) of one request shares: id, time, model, fingerprint.
struct ResponseIdentity: Sendable {
    var id: String
    var created: Int
    var model: String
    var systemFingerprint: String

    /// The fingerprint of this server build.
    static let systemFingerprint = OpenAIIdentifier.systemFingerprint(version: TernServer.version)

    /// An identity for a response to a request that named `model`.
    init(id: String, model: String) {
        self.id = id
        created = Int(Date().timeIntervalSince1970)
        self.model = model
        systemFingerprint = Self.systemFingerprint
    }
}

extension Response {
    /// A JSON response of `value`, encoded the way OpenAI writes it.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        json(encoded: OpenAIJSON.encode(value), status: status, headers: extra)
    }

    /// A JSON response of text already encoded (by ``OpenAIJSON``): off the event loop, where it is long.
    static func json(encoded bytes: Data, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The headers of a Server-Sent Events response.
    static let eventStreamHeaders: HTTPFields = [.contentType: ServerSentEvents.contentType, .cacheControl: "no-cache"]
}

extension ResponseBodyWriter {
    /// Writes already framed SSE bytes.
    mutating func writeEvent(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }  // nothing to send (text held back); never an empty body part
        try await write(ByteBuffer(bytes: bytes))
    }
}

extension Usage {
    /// Usage of a request whose prompts had `promptTokens` tokens and whose choices ended as `outcomes`.
    ///
    /// Each prompt counts once however many choices continue it, and so does its cached part: the least any of its
    /// choices found in the cache.
    init(promptTokens: [Int], outcomes: [GenerationRun.ChoiceOutcome]) {
        let cachedPerPrompt = Dictionary(grouping: outcomes, by: \.prompt).values.map { $0.map(\.cachedPromptTokens).min() ?? 0 }
        self.init(
            promptTokens: promptTokens.reduce(0, +), completionTokens: outcomes.reduce(0) { $0 + $1.completionTokens },
            cachedTokens: cachedPerPrompt.reduce(0, +))
    }
}

extension TokenInfo {
    /// The chat API's shape of the entry.
    var chatLogprob: TernOpenAI.TokenLogprob {
        TernOpenAI.TokenLogprob(
            token: text, logprob: logprob, bytes: bytes,
            topLogprobs: alternatives.map { TopLogprob(token: $0.text, logprob: $0.logprob, bytes: $0.bytes) })
    }
}
