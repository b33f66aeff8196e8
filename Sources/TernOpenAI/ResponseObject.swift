public import TernJSON

/// A response of the Responses API (`"object": "response"`), as `POST /v1/responses` answers it, its stream's events
/// carry it, and `GET /v1/responses/{id}` reads it back. Built as ordered JSON so the stored text is what was answered.
public struct ResponseObject: Sendable, Equatable {
    /// Where the response stands.
    public enum Status: String, Sendable {
        /// Generating (in a stream's first events).
        case inProgress = "in_progress"
        /// Done.
        case completed
        /// Cut short by `max_output_tokens` or the context.
        case incomplete
    }

    /// `resp_…`.
    public var id: String
    /// `msg_…`: the id of its output message.
    public var messageID: String
    /// Unix seconds.
    public var createdAt: Int
    /// The model as the request named it.
    public var model: String
    /// Where it stands.
    public var status: Status
    /// The generated text; nil while in progress (no output item yet).
    public var text: String?
    /// Token counts, once done.
    public var usage: (input: Int, cached: Int, output: Int)?
    /// The request it answers, for the echoed fields.
    public var request: ResponseRequest

    /// Creates a response to `request`.
    public init(
        id: String, messageID: String, createdAt: Int, model: String, status: Status, text: String?, usage: (input: Int, cached: Int, output: Int)?,
        request: ResponseRequest
    ) {
        self.id = id
        self.messageID = messageID
        self.createdAt = createdAt
        self.model = model
        self.status = status
        self.text = text
        self.usage = usage
        self.request = request
    }

    /// New ids: `resp_` and `msg_` followed by random base62.
    public static func newIDs() -> (response: String, message: String) {
        var generator = SystemRandomNumberGenerator()
        return (
            "resp_" + OpenAIIdentifier.randomBase62(count: 32, using: &generator),
            "msg_" + OpenAIIdentifier.randomBase62(count: 32, using: &generator)
        )
    }

    public static func == (lhs: ResponseObject, rhs: ResponseObject) -> Bool { lhs.json == rhs.json }

    /// The output message item: `in_progress` without content while generating, else with its one `output_text` part.
    public func messageItem(status itemStatus: String, text: String?) -> JSONValue {
        var item: JSONObject = ["id": .string(messageID), "type": .string("message"), "status": .string(itemStatus), "role": .string("assistant")]
        item["content"] = .array(text.map { [Self.textPart($0)] } ?? [])
        return .object(item)
    }

    /// `{"type":"output_text","text":…,"annotations":[],"logprobs":[]}`.
    public static func textPart(_ text: String) -> JSONValue {
        .object(["type": .string("output_text"), "text": .string(text), "annotations": .array([]), "logprobs": .array([])])
    }

    /// The object's JSON.
    public var json: JSONValue {
        var object: JSONObject = [
            "id": .string(id), "object": .string("response"), "created_at": .integer(Int64(createdAt)), "status": .string(status.rawValue),
            "background": .bool(false), "error": .null,
        ]
        object["incomplete_details"] = status == .incomplete ? .object(["reason": .string("max_output_tokens")]) : .null
        object["instructions"] = request.instructions.map(JSONValue.string) ?? .null
        object["max_output_tokens"] = request.maxOutputTokens.map { .integer(Int64($0)) } ?? .null
        object["model"] = .string(model)
        object["output"] = .array(text.map { [messageItem(status: status == .incomplete ? "incomplete" : "completed", text: $0)] } ?? [])
        object["parallel_tool_calls"] = .bool(true)
        object["previous_response_id"] = request.previousResponseID.map(JSONValue.string) ?? .null
        object["store"] = .bool(request.store)
        object["temperature"] = request.sampling.temperature.map(JSONValue.double) ?? .null
        object["text"] = .object(["format": Self.formatJSON(request.format)])
        object["tool_choice"] = .string("auto")
        object["tools"] = .array([])
        object["top_p"] = request.sampling.topP.map(JSONValue.double) ?? .null
        object["truncation"] = .string("disabled")
        if let usage {
            object["usage"] = .object([
                "input_tokens": .integer(Int64(usage.input)), "input_tokens_details": .object(["cached_tokens": .integer(Int64(usage.cached))]),
                "output_tokens": .integer(Int64(usage.output)), "output_tokens_details": .object(["reasoning_tokens": .integer(0)]),
                "total_tokens": .integer(Int64(usage.input + usage.output)),
            ])
        } else {
            object["usage"] = .null
        }
        object["metadata"] = .object(JSONObject(request.metadata.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))
        return .object(object)
    }

    /// `text.format` as the Responses API writes it.
    static func formatJSON(_ format: ResponseFormat) -> JSONValue {
        switch format {
        case .text:
            return .object(["type": .string("text")])
        case .jsonObject:
            return .object(["type": .string("json_object")])
        case .jsonSchema(let schema):
            var object: JSONObject = ["type": .string("json_schema"), "name": .string(schema.name)]
            if let description = schema.description { object["description"] = .string(description) }
            object["schema"] = schema.schema ?? .object([:])
            object["strict"] = schema.strict.map(JSONValue.bool) ?? .null
            return .object(object)
        }
    }
}
