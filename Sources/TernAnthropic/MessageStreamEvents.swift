import TernOpenAI

/// The server-sent events of a streamed message, in Anthropic's order: `message_start`, `content_block_start`, `ping`,
/// `content_block_delta` …, `content_block_stop`, `message_delta` (stop reason and usage), `message_stop`; each as
/// `event: NAME` and `data: JSON`.
public struct MessageStreamEvents: Sendable {
    /// The message's id.
    public let id: String
    /// The model as the request named it.
    public let model: String

    /// Events for the message `id`.
    public init(id: String, model: String) {
        self.id = id
        self.model = model
    }

    /// `message_start` (the message without content or stop reason), `content_block_start` of the text block, and a
    /// `ping`.
    public func start(inputTokens: Int) -> [UInt8] {
        let message = AnthropicMessage(id: id, model: model, text: "", stopReason: nil, usage: .init(inputTokens: inputTokens, outputTokens: 0))
        return Self.event("message_start", Start(message: message))
            + Self.event("content_block_start", BlockStart(content_block: TextBlock(text: "")))
            + Self.event("ping", Typed(type: "ping"))
    }

    /// A `content_block_delta` with new text.
    public func delta(_ text: String) -> [UInt8] {
        Self.event("content_block_delta", BlockDelta(delta: TextDelta(text: text)))
    }

    /// `content_block_stop`, and `message_delta` with the stop reason and the output tokens.
    public func stop(reason: AnthropicMessage.StopReason, stopSequence: String?, outputTokens: Int) -> [UInt8] {
        Self.event("content_block_stop", BlockStop())
            + Self.event(
                "message_delta",
                MessageDelta(delta: .init(stop_reason: reason, stop_sequence: stopSequence), usage: .init(output_tokens: outputTokens)))
    }

    /// `message_stop`, the last event.
    public static let end = event("message_stop", Typed(type: "message_stop"))

    /// An `error` event, for a failure after the stream started.
    public static func error(_ body: [UInt8]) -> [UInt8] {
        Array("event: error\ndata: ".utf8) + body + Array("\n\n".utf8)
    }

    static func event(_ name: String, _ payload: some Encodable) -> [UInt8] {
        Array("event: \(name)\ndata: ".utf8) + Array(OpenAIJSON.encode(payload)) + Array("\n\n".utf8)
    }

    private struct Typed: Encodable { var type: String }
    private struct Start: Encodable {
        var type = "message_start"
        var message: AnthropicMessage
    }
    private struct BlockStart: Encodable {
        var type = "content_block_start"
        var index = 0
        var content_block: TextBlock
    }
    private struct TextDelta: Encodable {
        var type = "text_delta"
        var text: String
    }
    private struct BlockDelta: Encodable {
        var type = "content_block_delta"
        var index = 0
        var delta: TextDelta
    }
    private struct BlockStop: Encodable {
        var type = "content_block_stop"
        var index = 0
    }
    private struct MessageDelta: Encodable {
        struct Delta: Encodable {
            var stop_reason: AnthropicMessage.StopReason
            var stop_sequence: String?

            private enum CodingKeys: String, CodingKey { case stop_reason, stop_sequence }

            /// Writes `stop_sequence: null` too, as Anthropic does.
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(stop_reason, forKey: .stop_reason)
                try container.encode(stop_sequence, forKey: .stop_sequence)
            }
        }
        struct Usage: Encodable { var output_tokens: Int }
        var type = "message_delta"
        var delta: Delta
        var usage: Usage
    }
}
