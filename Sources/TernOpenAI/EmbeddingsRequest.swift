import TernJSON

/// The body of `POST /v1/embeddings`, validated.
///
/// `input` is a string, an array of strings, an array of token ids, or an array of such arrays; each becomes one
/// embedding, in order. Strings are tokenized with the model's special tokens added (BERT's [CLS] … [SEP]); token
/// arrays are taken as they are.
public struct EmbeddingsRequest: Sendable, Equatable {
    /// One input to embed.
    public enum Input: Sendable, Equatable {
        /// A text, tokenized with the model's special tokens.
        case text(String)
        /// Token ids, used as given.
        case tokens([Int])
    }

    /// How the vectors are written.
    public enum EncodingFormat: String, Sendable, Equatable {
        /// A JSON array of numbers.
        case float
        /// The little-endian f32 bytes, in base64.
        case base64
    }

    /// `model`.
    public var model: String
    /// `input`, one or more.
    public var inputs: [Input]
    /// `encoding_format`, `float` by default.
    public var encodingFormat: EncodingFormat
    /// `dimensions`: the width asked for, or nil for the model's own.
    public var dimensions: Int?
    /// `user`.
    public var user: String?

    /// The most inputs in one request, as OpenAI allows.
    public static let maxInputs = 2048

    /// UTF-8 bytes of the text inputs together (what tokenizing them costs).
    public var textBytes: Int {
        inputs.reduce(0) { total, input in
            if case .text(let text) = input { total + text.utf8.count } else { total }
        }
    }

    /// Creates a request directly.
    public init(model: String, inputs: [Input], encodingFormat: EncodingFormat = .float, dimensions: Int? = nil, user: String? = nil) {
        self.model = model
        self.inputs = inputs
        self.encodingFormat = encodingFormat
        self.dimensions = dimensions
        self.user = user
    }

    static let supportedKeys: Set<String> = ["model", "input", "encoding_format", "dimensions", "user"]

    /// Parses and validates a request body.
    public static func decode(from body: some Collection<UInt8>) throws(OpenAIError) -> EmbeddingsRequest {
        try EmbeddingsRequest(reading: try FieldReader.body(body))
    }

    init(reading reader: FieldReader) throws(OpenAIError) {
        try reader.rejectUnknownKeys(Self.supportedKeys)
        model = try reader.requiredString("model")
        inputs = try Self.readInput(reader)
        let format = try reader.string("encoding_format") ?? "float"
        guard let encodingFormat = EncodingFormat(rawValue: format) else {
            throw .invalidValue("encoding_format", value: format, supported: ["float", "base64"])
        }
        self.encodingFormat = encodingFormat
        dimensions = try reader.integer("dimensions", min: 1)
        user = try reader.string("user")
    }

    private static func readInput(_ reader: FieldReader) throws(OpenAIError) -> [Input] {
        guard let value = reader.value("input") else { throw .missingParameter("input") }
        switch value {
        case .string(let string):
            return [try text(string, param: "input")]
        case .array(let elements):
            guard !elements.isEmpty else {
                throw .invalidRequest(
                    "Invalid 'input': empty array. Expected an array with minimum length 1, but got an empty array instead.", param: "input",
                    code: "empty_array")
            }
            // An array of numbers is one tokenized input; otherwise every element is an input of its own.
            if case .integer = elements[0] { return [.tokens(try tokens(elements, param: "input"))] }
            guard elements.count <= maxInputs else {
                throw .invalidRequest(
                    "Invalid 'input': array too long. Expected an array with maximum length \(maxInputs), but got an array with length "
                        + "\(elements.count) instead.", param: "input", code: "array_above_max_length")
            }
            var inputs: [Input] = []
            inputs.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                switch element {
                case .string(let string):
                    inputs.append(try text(string, param: "input[\(index)]"))
                case .array(let ids):
                    inputs.append(.tokens(try tokens(ids, param: "input[\(index)]")))
                default:
                    throw .invalidType("input[\(index)]", expected: "a string or an array of token ids", got: element)
                }
            }
            return inputs
        default:
            throw .invalidType("input", expected: "a string, an array of strings, or token ids", got: value)
        }
    }

    private static func text(_ text: String, param: String) throws(OpenAIError) -> Input {
        guard !text.isEmpty else {
            throw .invalidRequest("Invalid '\(param)': empty string. Expected a string with minimum length 1.", param: param, code: "empty_string")
        }
        return .text(text)
    }

    private static func tokens(_ elements: [JSONValue], param: String) throws(OpenAIError) -> [Int] {
        guard !elements.isEmpty else {
            throw .invalidRequest(
                "Invalid '\(param)': empty array. Expected an array with minimum length 1, but got an empty array instead.", param: param,
                code: "empty_array")
        }
        var ids: [Int] = []
        ids.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard case .integer(let id) = element, id >= 0, id <= Int64(Int32.max) else {
                throw .invalidType("\(param)[\(index)]", expected: "a token id (an integer ≥ 0)", got: element)
            }
            ids.append(Int(id))
        }
        return ids
    }
}
