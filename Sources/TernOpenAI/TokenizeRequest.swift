import TernJSON

/// The body of `POST /tokenize`, as llama.cpp's server reads it: `content` as text, or an array mixing text and token
/// ids; `add_special` (BOS, and EOS or [SEP] where the model adds them; default false), `parse_special` (special tokens written in the text, default true),
/// `with_pieces` (each id with its text, default false); `model` optional.
public struct TokenizeRequest: Sendable, Equatable {
    /// One part of `content`.
    public enum Part: Sendable, Equatable {
        /// Text to tokenize.
        case text(String)
        /// A token id, passed through.
        case token(Int)
    }

    /// The model whose tokenizer to use; nil for the served model.
    public var model: String?
    /// What to tokenize, in order.
    public var content: [Part]
    /// Whether to add the model's BOS token (only before text that comes first).
    public var addSpecial: Bool
    /// Whether special tokens written in the text become their ids.
    public var parseSpecial: Bool
    /// Whether to answer each id with its text.
    public var withPieces: Bool

    /// Parses and validates a request body.
    public static func decode(from body: some Collection<UInt8>) throws(OpenAIError) -> TokenizeRequest {
        let reader = try FieldReader.body(body)
        try reader.rejectUnknownKeys(["model", "content", "add_special", "parse_special", "with_pieces"])
        var request = TokenizeRequest(
            model: try reader.string("model"), content: [], addSpecial: try reader.bool("add_special") ?? false,
            parseSpecial: try reader.bool("parse_special") ?? true, withPieces: try reader.bool("with_pieces") ?? false)
        switch reader.value("content") {
        case nil:
            throw .missingParameter("content")
        case .string(let text):
            request.content = [.text(text)]
        case .array(let items):
            for (index, item) in items.enumerated() {
                if case .string(let text) = item {
                    request.content.append(.text(text))
                } else if let id = item.integerValue, (0...Int64(Int32.max)).contains(id) {
                    request.content.append(.token(Int(id)))
                } else {
                    throw .invalidType("content[\(index)]", expected: "a string or a token id (an integer ≥ 0)", got: item)
                }
            }
        case let other?:
            throw .invalidType("content", expected: "a string or an array of strings and token ids", got: other)
        }
        return request
    }
}

/// The body of `POST /detokenize`: `tokens`, the ids to turn into text; `model` optional.
public struct DetokenizeRequest: Sendable, Equatable {
    /// The model whose tokenizer to use; nil for the served model.
    public var model: String?
    /// The ids.
    public var tokens: [Int]

    /// Parses and validates a request body.
    public static func decode(from body: some Collection<UInt8>) throws(OpenAIError) -> DetokenizeRequest {
        let reader = try FieldReader.body(body)
        try reader.rejectUnknownKeys(["model", "tokens"])
        guard let value = reader.value("tokens") else { throw .missingParameter("tokens") }
        guard case .array(let items) = value else { throw .invalidType("tokens", expected: "an array of token ids", got: value) }
        var tokens: [Int] = []
        for (index, item) in items.enumerated() {
            guard let id = item.integerValue, (0...Int64(Int32.max)).contains(id) else {
                throw .invalidType("tokens[\(index)]", expected: "a token id (an integer ≥ 0)", got: item)
            }
            tokens.append(Int(id))
        }
        return DetokenizeRequest(model: try reader.string("model"), tokens: tokens)
    }
}
