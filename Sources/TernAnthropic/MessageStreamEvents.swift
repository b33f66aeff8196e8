import TernOpenAI

/// The server-sent events of a streamed message, in Anthropic's order: `message_start`, then per content block
/// `content_block_start` (the first followed by `ping`), `content_block_delta` … (`text_delta` for text,
/// `input_json_delta` for a tool call's input), `content_block_stop`; then `message_delta` (stop reason and usage) and
/// `message_stop`; each as `event: NAME` and `data: JSON`.
public struct MessageStreamEvents: Sendable {
    /// The message's id.
    public let id: String
    /// The model as the request named it.
    public let model: String
    /// The index of the open content block, or nil before the first and after the last.
    private var open: Int?
    /// Blocks opened so far.
    private var blocks = 0

    /// Events for the message `id`.
    public init(id: String, model: String) {
        self.id = id
        self.model = model
    }

    /// `message_start`: the message without content or stop reason.
    public func start(inputTokens: Int) -> [UInt8] {
        let message = AnthropicMessage(id: id, model: model, text: "", stopReason: nil, usage: .init(inputTokens: inputTokens, outputTokens: 0))
        return Self.event("message_start", Start(message: message))
    }

    /// A `content_block_delta` with new text, after opening a text block if a text block is not the open one.
    public mutating func delta(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        if open == nil || openIsTool { bytes += openBlock(.text(TextBlock(text: ""))) }
        return bytes + Self.event("content_block_delta", BlockDelta(index: open!, delta: .text(text)))
    }

    /// Closes the open block and opens a `tool_use` block for a call of `name`.
    public mutating func toolUse(id: String, name: String) -> [UInt8] {
        let bytes = openBlock(.toolUse(ToolUseBlock(id: id, name: name, input: .object([:]))))
        openIsTool = true
        return bytes
    }

    /// An `input_json_delta` with the next piece of the open tool call's input.
    public func toolInput(_ fragment: String) -> [UInt8] {
        guard let open, openIsTool else { return [] }
        return Self.event("content_block_delta", BlockDelta(index: open, delta: .inputJSON(fragment)))
    }

    /// `content_block_stop` of the open block (an empty text block when nothing was generated), and `message_delta` with
    /// the stop reason and the output tokens.
    public mutating func stop(reason: AnthropicMessage.StopReason, stopSequence: String?, outputTokens: Int) -> [UInt8] {
        var bytes = blocks == 0 ? openBlock(.text(TextBlock(text: ""))) : []
        bytes += closeBlock()
        return bytes
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

    /// Whether the open block is a `tool_use` block.
    private var openIsTool = false

    /// Closes the open block and starts `block`; the first block is followed by a `ping`, as Anthropic sends it.
    private mutating func openBlock(_ block: Block) -> [UInt8] {
        var bytes = closeBlock()
        open = blocks
        blocks += 1
        openIsTool = false
        bytes += Self.event("content_block_start", BlockStart(index: open!, content_block: block))
        if blocks == 1 { bytes += Self.event("ping", Typed(type: "ping")) }
        return bytes
    }

    private mutating func closeBlock() -> [UInt8] {
        guard let index = open else { return [] }
        open = nil
        return Self.event("content_block_stop", BlockStop(index: index))
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
        var index: Int
        var content_block: Block
    }
    private enum Delta: Encodable {
        case text(String)
        case inputJSON(String)

        private enum Keys: String, CodingKey { case type, text, partial_json }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            switch self {
            case .text(let text):
                try container.encode("text_delta", forKey: .type)
                try container.encode(text, forKey: .text)
            case .inputJSON(let fragment):
                try container.encode("input_json_delta", forKey: .type)
                try container.encode(fragment, forKey: .partial_json)
            }
        }
    }
    private struct BlockDelta: Encodable {
        var type = "content_block_delta"
        var index: Int
        var delta: Delta
    }
    private struct BlockStop: Encodable {
        var type = "content_block_stop"
        var index: Int
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
