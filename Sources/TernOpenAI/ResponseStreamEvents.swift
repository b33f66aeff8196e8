import TernJSON

/// The server-sent events of a streamed response, in OpenAI's order, each with its `sequence_number`:
/// `response.created`, `response.in_progress`, `response.output_item.added`, `response.content_part.added`,
/// `response.output_text.delta` …, `response.output_text.done`, `response.content_part.done`,
/// `response.output_item.done`, then `response.completed` (or `response.incomplete`).
public struct ResponseStreamEvents: Sendable {
    private var sequence = 0

    /// Events starting at sequence number 0.
    public init() {}

    /// From `response.created` to the empty text part of the output message.
    public mutating func start(_ response: ResponseObject) -> [UInt8] {
        event("response.created", ["response": response.json])
            + event("response.in_progress", ["response": response.json])
            + event("response.output_item.added", ["output_index": .integer(0), "item": response.messageItem(status: "in_progress", text: nil)])
            + event(
                "response.content_part.added",
                [
                    "item_id": .string(response.messageID), "output_index": .integer(0), "content_index": .integer(0),
                    "part": ResponseObject.textPart(""),
                ])
    }

    /// A `response.output_text.delta`.
    public mutating func delta(_ text: String, itemID: String) -> [UInt8] {
        event(
            "response.output_text.delta",
            [
                "item_id": .string(itemID), "output_index": .integer(0), "content_index": .integer(0), "delta": .string(text),
                "logprobs": .array([]),
            ])
    }

    /// From `response.output_text.done` to `response.completed` or `response.incomplete`, with the finished response.
    public mutating func finish(_ response: ResponseObject) -> [UInt8] {
        let text = response.text ?? ""
        let item = ["item_id": JSONValue.string(response.messageID), "output_index": .integer(0), "content_index": .integer(0)]
        return event("response.output_text.done", item.merging(["text": .string(text), "logprobs": .array([])]) { $1 })
            + event("response.content_part.done", item.merging(["part": ResponseObject.textPart(text)]) { $1 })
            + event(
                "response.output_item.done",
                [
                    "output_index": .integer(0),
                    "item": response.messageItem(status: response.status == .incomplete ? "incomplete" : "completed", text: text),
                ])
            + event(response.status == .incomplete ? "response.incomplete" : "response.completed", ["response": response.json])
    }

    /// An `error` event, for a failure after the stream started.
    public mutating func error(_ error: OpenAIError) -> [UInt8] {
        event(
            "error",
            [
                "code": error.code.map(JSONValue.string) ?? .null, "message": .string(error.message),
                "param": error.param.map(JSONValue.string) ?? .null,
            ])
    }

    private mutating func event(_ type: String, _ fields: [String: JSONValue]) -> [UInt8] {
        var object: JSONObject = ["type": .string(type)]
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) { object[key] = value }
        object["sequence_number"] = .integer(Int64(sequence))
        sequence += 1
        return Array("event: \(type)\ndata: ".utf8) + Array(JSONValue.object(object).jsonText.utf8) + Array("\n\n".utf8)
    }
}
