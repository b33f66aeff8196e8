public import TernJSON

/// `response_format` of a chat request: free text, any JSON object, or JSON that follows a schema.
public enum ResponseFormat: Sendable, Equatable {
    /// `{"type": "text"}` (the default).
    case text
    /// `{"type": "json_object"}`: one JSON object.
    case jsonObject
    /// `{"type": "json_schema", "json_schema": {...}}`.
    case jsonSchema(JSONSchemaFormat)

    /// The `json_schema` member.
    public struct JSONSchemaFormat: Sendable, Equatable {
        /// `name`: letters, digits, `_` and `-`, at most 64.
        public var name: String
        /// `description`.
        public var description: String?
        /// `schema`; when absent, any JSON object.
        public var schema: JSONValue?
        /// `strict`. Tern enforces the schema either way.
        public var strict: Bool?

        /// A schema format.
        public init(name: String, description: String? = nil, schema: JSONValue?, strict: Bool? = nil) {
            self.name = name
            self.description = description
            self.schema = schema
            self.strict = strict
        }
    }

    static func read(_ reader: FieldReader) throws(OpenAIError) -> ResponseFormat {
        guard let format = try reader.object("response_format") else { return .text }
        let type = try format.requiredString("type")
        switch type {
        case "text":
            try format.rejectUnknownKeys(["type"])
            return .text
        case "json_object":
            try format.rejectUnknownKeys(["type"])
            return .jsonObject
        case "json_schema":
            try format.rejectUnknownKeys(["type", "json_schema"])
            guard let member = try format.object("json_schema") else { throw .missingParameter("response_format.json_schema") }
            try member.rejectUnknownKeys(["name", "description", "schema", "strict"])
            let name = try member.requiredString("name")
            guard ChatTool.isValidName(name) else {
                throw .invalidRequest(
                    "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the "
                        + "pattern '^[a-zA-Z0-9_-]{1,64}$'.", param: "response_format.json_schema.name", code: "invalid_value")
            }
            let schema = member.value("schema")
            if let schema, case .object = schema {
            } else if let schema {
                throw .invalidType("response_format.json_schema.schema", expected: "an object", got: schema)
            }
            return .jsonSchema(
                JSONSchemaFormat(name: name, description: try member.string("description"), schema: schema, strict: try member.bool("strict")))
        default:
            throw .unsupportedValue("response_format.type", value: type, supported: ["text", "json_object", "json_schema"])
        }
    }
}
