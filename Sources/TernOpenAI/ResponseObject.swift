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

    /// One item of `output`.
    public enum OutputItem: Sendable, Equatable {
        /// The answer's text: `{"type":"message","id":"msg_…",…}`.
        case message(id: String, text: String)
        /// A call of one of the request's functions: `{"type":"function_call","id":"fc_…","call_id":"call_…",…}`.
        case functionCall(id: String, call: ToolCall)

        /// The item's id.
        public var id: String {
            switch self {
            case .message(let id, _), .functionCall(let id, _): id
            }
        }

        /// The item's JSON with `status`; a message in progress has no content yet.
        public func json(status: String, inProgress: Bool = false) -> JSONValue {
            switch self {
            case .message(let id, let text):
                return .object([
                    "id": .string(id), "type": .string("message"), "status": .string(status), "role": .string("assistant"),
                    "content": .array(inProgress ? [] : [ResponseObject.textPart(text)]),
                ])
            case .functionCall(let id, let call):
                return .object([
                    "id": .string(id), "type": .string("function_call"), "status": .string(status), "call_id": .string(call.id),
                    "name": .string(call.name), "arguments": .string(inProgress ? "" : call.arguments),
                ])
            }
        }
    }

    /// `resp_…`.
    public var id: String
    /// Unix seconds.
    public var createdAt: Int
    /// The model as the request named it.
    public var model: String
    /// Where it stands.
    public var status: Status
    /// The output items; none while in progress.
    public var output: [OutputItem]
    /// Token counts, once done.
    public var usage: (input: Int, cached: Int, output: Int)?
    /// The request it answers, for the echoed fields.
    public var request: ResponseRequest

    /// Creates a response to `request`.
    public init(
        id: String, createdAt: Int, model: String, status: Status, output: [OutputItem], usage: (input: Int, cached: Int, output: Int)?,
        request: ResponseRequest
    ) {
        self.id = id
        self.createdAt = createdAt
        self.model = model
        self.status = status
        self.output = output
        self.usage = usage
        self.request = request
    }

    /// A new id: `prefix` (`resp_`, `msg_`, `fc_`) followed by random base62.
    public static func newID(_ prefix: String) -> String {
        prefix + OpenAIIdentifier.randomBase62(count: 32)
    }

    /// The text of the message items.
    public var text: String {
        output.map { if case .message(_, let text) = $0 { text } else { "" } }.joined()
    }

    public static func == (lhs: ResponseObject, rhs: ResponseObject) -> Bool { lhs.json == rhs.json }

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
        object["output"] = .array(output.map { $0.json(status: status == .incomplete ? "incomplete" : "completed") })
        object["parallel_tool_calls"] = .bool(request.parallelToolCalls)
        object["previous_response_id"] = request.previousResponseID.map(JSONValue.string) ?? .null
        object["store"] = .bool(request.store)
        object["temperature"] = request.sampling.temperature.map(JSONValue.double) ?? .null
        object["text"] = .object(["format": Self.formatJSON(request.format)])
        object["tool_choice"] = Self.toolChoiceJSON(request.toolChoice)
        object["tools"] = .array(
            request.tools.map { tool in
                .object([
                    "type": .string("function"), "name": .string(tool.name), "description": tool.description.map(JSONValue.string) ?? .null,
                    "parameters": tool.parameters ?? .null, "strict": tool.strict.map(JSONValue.bool) ?? .null,
                ])
            })
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

    /// `tool_choice` as the Responses API writes it.
    static func toolChoiceJSON(_ choice: ToolChoice) -> JSONValue {
        switch choice {
        case .none: .string("none")
        case .auto: .string("auto")
        case .required: .string("required")
        case .function(let name): .object(["type": .string("function"), "name": .string(name)])
        }
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
