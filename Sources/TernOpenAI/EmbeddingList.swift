import Foundation

/// The response of `POST /v1/embeddings`: `{"object":"list","data":[{"object":"embedding","index","embedding"}],
/// "model","usage":{"prompt_tokens","total_tokens"}}`.
///
/// Written by hand rather than by `JSONEncoder`: a response holds hundreds of thousands of numbers, each written as
/// the shortest decimal that reads back as the same f32.
public struct EmbeddingList: Sendable, Equatable {
    /// The vectors, in input order.
    public var vectors: [[Float]]
    /// The model id the request named.
    public var model: String
    /// Tokens of every input together.
    public var promptTokens: Int
    /// How the vectors are written.
    public var encodingFormat: EmbeddingsRequest.EncodingFormat

    /// A list of `vectors`.
    public init(vectors: [[Float]], model: String, promptTokens: Int, encodingFormat: EmbeddingsRequest.EncodingFormat) {
        self.vectors = vectors
        self.model = model
        self.promptTokens = promptTokens
        self.encodingFormat = encodingFormat
    }

    /// The JSON body.
    public var json: String {
        var out = #"{"object":"list","data":["#
        out.reserveCapacity(vectors.count * ((vectors.first?.count ?? 0) * 12 + 48) + 128)
        for (index, vector) in vectors.enumerated() {
            if index > 0 { out += "," }
            out += #"{"object":"embedding","index":\#(index),"embedding":"#
            switch encodingFormat {
            case .float:
                out += "["
                for (position, value) in vector.enumerated() {
                    if position > 0 { out += "," }
                    out += value.isFinite ? value.description : "0"
                }
                out += "]"
            case .base64:
                let bytes = vector.withUnsafeBufferPointer { Data(buffer: $0) }
                out += "\"" + bytes.base64EncodedString() + "\""
            }
            out += "}"
        }
        let model = String(decoding: OpenAIJSON.encode(model), as: UTF8.self)
        out += #"],"model":\#(model),"usage":{"prompt_tokens":\#(promptTokens),"total_tokens":\#(promptTokens)}}"#
        return out
    }
}
