import TernJSON

/// The server-sent events of a streamed response, in OpenAI's order, each with its `sequence_number`:
/// `response.created`, `response.in_progress`; per output item `response.output_item.added`, then for a message
/// `response.content_part.added` and `response.output_text.delta` …, for a function call
/// `response.function_call_arguments.delta` …; at the end per item `response.output_text.done`,
/// `response.content_part.done` (or `response.function_call_arguments.done`) and `response.output_item.done`; last
/// `response.completed` (or `response.incomplete`).
///
/// It keeps the items it opened, so that the finished response lists the same ids the events named.
public struct ResponseStreamEvents: Sendable {
    private var sequence = 0
    /// The items opened so far, with the text or arguments they received.
    public private(set) var items: [ResponseObject.OutputItem] = []
    /// Index in ``items`` of the open message, and of each call by its index in the answer.
    private var message: Int?
    private var calls: [Int: Int] = [:]

    /// Events starting at sequence number 0.
    public init() {}

    /// `response.created` and `response.in_progress`.
    public mutating func start(_ response: ResponseObject) -> [UInt8] {
        event("response.created", ["response": response.json]) + event("response.in_progress", ["response": response.json])
    }

    /// Text of the answer: opens the message item first if needed.
    public mutating func text(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        if message == nil {
            message = items.count
            items.append(.message(id: ResponseObject.newID("msg_"), text: ""))
            bytes += added(items.count - 1)
            bytes += event("response.content_part.added", position(items.count - 1).merging(["part": ResponseObject.textPart("")]) { $1 })
        }
        guard let index = message, case .message(let id, let sofar) = items[index] else { return bytes }
        items[index] = .message(id: id, text: sofar + text)
        return bytes + event("response.output_text.delta", position(index).merging(["delta": .string(text), "logprobs": .array([])]) { $1 })
    }

    /// The start of the answer's call `index`: a function call item.
    public mutating func callStart(index: Int, callID: String, name: String) -> [UInt8] {
        calls[index] = items.count
        items.append(.functionCall(id: ResponseObject.newID("fc_"), call: ToolCall(id: callID, name: name, arguments: "")))
        return added(items.count - 1)
    }

    /// A fragment of call `index`'s arguments.
    public mutating func arguments(index: Int, _ fragment: String) -> [UInt8] {
        guard let item = calls[index], case .functionCall(let id, var call) = items[item] else { return [] }
        call.arguments += fragment
        items[item] = .functionCall(id: id, call: call)
        return event(
            "response.function_call_arguments.delta", ["item_id": .string(id), "output_index": .integer(Int64(item)), "delta": .string(fragment)])
    }

    /// Every item's closing events, then `response.completed` or `response.incomplete` with `response`, whose output
    /// should be ``items``.
    public mutating func finish(_ response: ResponseObject) -> [UInt8] {
        let status = response.status == .incomplete ? "incomplete" : "completed"
        var bytes: [UInt8] = []
        for (index, item) in items.enumerated() {
            switch item {
            case .message(_, let text):
                bytes += event("response.output_text.done", position(index).merging(["text": .string(text), "logprobs": .array([])]) { $1 })
                bytes += event("response.content_part.done", position(index).merging(["part": ResponseObject.textPart(text)]) { $1 })
            case .functionCall(let id, let call):
                bytes += event(
                    "response.function_call_arguments.done",
                    ["item_id": .string(id), "output_index": .integer(Int64(index)), "arguments": .string(call.arguments)])
            }
            bytes += event("response.output_item.done", ["output_index": .integer(Int64(index)), "item": item.json(status: status)])
        }
        return bytes + event(response.status == .incomplete ? "response.incomplete" : "response.completed", ["response": response.json])
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

    private mutating func added(_ index: Int) -> [UInt8] {
        event(
            "response.output_item.added",
            ["output_index": .integer(Int64(index)), "item": items[index].json(status: "in_progress", inProgress: true)])
    }

    private func position(_ index: Int) -> [String: JSONValue] {
        ["item_id": .string(items[index].id), "output_index": .integer(Int64(index)), "content_index": .integer(0)]
    }

    private mutating func event(_ type: String, _ fields: [String: JSONValue]) -> [UInt8] {
        var object: JSONObject = ["type": .string(type)]
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) { object[key] = value }
        object["sequence_number"] = .integer(Int64(sequence))
        sequence += 1
        return Array("event: \(type)\ndata: ".utf8) + Array(JSONValue.object(object).jsonText.utf8) + Array("\n\n".utf8)
    }
}
