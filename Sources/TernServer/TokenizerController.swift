import Foundation
import Hummingbird
import TernEngine
import TernOpenAI

/// llama.cpp's server utility routes, so that its users' scripts work: `POST /tokenize`, `POST /detokenize` and
/// `POST /apply-template`. Each takes an optional `model` (the served model when absent) and needs a key like `/v1`.
struct TokenizerController: Sendable {
    let models: ModelFleet
    let bodyReader: RequestBodyReader

    /// `POST /tokenize`: `{"tokens": [ids]}`, or with `with_pieces` `{"tokens": [{"id", "piece"}]}` where a piece that is
    /// not whole UTF-8 is given as its bytes.
    func tokenize(_ request: Request, context: TernRequestContext) async throws -> Response {
        var request = request
        let asked = try await bodyReader.decode(&request) { try TokenizeRequest.decode(from: $0) }.value
        let model = try await self.model(asked.model, context: context)
        // A body of megabytes takes a while to tokenize, and its answer to encode: on a thread of its own, not the loop.
        let answer = try await onThread(named: "tern-tokenize") { () throws(OpenAIError) -> Data in
            var ids: [Int32] = []
            for (index, part) in asked.content.enumerated() {
                switch part {
                case .text(let text):
                    // As llama.cpp: the first text part gets the special tokens (BOS, and EOS or [SEP] where the model adds them).
                    let special = asked.addSpecial && index == 0
                    let parse = asked.parseSpecial
                    ids += special ? model.encodeWithSpecialTokens(text, parseSpecial: parse) : model.tokenizer.encode(text, parseSpecial: parse)
                case .token(let id):
                    ids.append(try Self.token(id, in: model, param: "content[\(index)]"))
                }
            }
            guard asked.withPieces else { return OpenAIJSON.encode(TokenList(tokens: ids.map { .id($0) })) }
            return OpenAIJSON.encode(
                TokenList(tokens: ids.map { id in .piece(id: id, bytes: model.tokenizer.tokenBytes(id, renderSpecial: true)) }))
        }
        return .json(encoded: answer)
    }

    /// `POST /detokenize`: `{"content": text}`, special tokens written out.
    func detokenize(_ request: Request, context: TernRequestContext) async throws -> Response {
        var request = request
        let (asked, bytes) = try await bodyReader.decode(&request) { try DetokenizeRequest.decode(from: $0) }
        let model = try await self.model(asked.model, context: context)
        let answer = try await onThread(named: "tern-detokenize", bytes: bytes, threshold: RequestBodyReader.inlineBytes) {
            var ids: [Int32] = []
            for (index, id) in asked.tokens.enumerated() { ids.append(try Self.token(id, in: model, param: "tokens[\(index)]")) }
            return OpenAIJSON.encode(Detokenized(content: model.tokenizer.decode(ids, renderSpecial: true)))
        }
        return .json(encoded: answer)
    }

    /// `POST /apply-template`: a chat completion request's prompt as the model's template renders it, `{"prompt": text}`.
    func applyTemplate(_ request: Request, context: TernRequestContext) async throws -> Response {
        var request = request
        let first = models.names.ids.first
        let (chat, bytes) = try await bodyReader.decode(&request) { try ChatCompletionRequest.decode(from: $0, defaultModel: first) }
        let model = try await self.model(chat.model, context: context)
        let answer = try await onThread(named: "tern-render", bytes: bytes, threshold: RequestBodyReader.inlineBytes) {
            OpenAIJSON.encode(RenderedPrompt(prompt: try ChatPrompt.text(for: chat, model: model)))
        }
        return .json(encoded: answer)
    }

    /// The model `name` (the first served one when nil), loaded, after the key's permission for it is checked.
    private func model(_ name: String?, context: TernRequestContext) async throws -> LoadedModel {
        guard let name = name ?? models.names.ids.first else {
            throw OpenAIError.invalidRequest(
                "This server runs no model of its own (its models are upstream ones), so there is no tokenizer to use.", param: "model",
                code: "model_not_found")
        }
        return try await models.withModel(name, context: context) { $0.scheduler.model }
    }

    /// `id` as a token of `model`'s vocabulary; 400 naming `param` when it has no such token.
    private static func token(_ id: Int, in model: LoadedModel, param: String) throws(OpenAIError) -> Int32 {
        guard id < model.tokenizer.vocabularySize else {
            throw .invalidRequest(
                "Invalid '\(param)': token id \(id) is out of range; this model's vocabulary has \(model.tokenizer.vocabularySize) tokens.",
                param: param, code: "invalid_value")
        }
        return Int32(id)
    }

    private struct TokenList: Encodable {
        var tokens: [Token]
    }

    /// An id alone, or an id with its text (or bytes, when they are not whole UTF-8).
    private enum Token: Encodable {
        case id(Int32)
        case piece(id: Int32, bytes: [UInt8])

        private enum Keys: String, CodingKey { case id, piece }

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .id(let id):
                var container = encoder.singleValueContainer()
                try container.encode(id)
            case .piece(let id, let bytes):
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(id, forKey: .id)
                if let text = String(validating: bytes, as: UTF8.self) {
                    try container.encode(text, forKey: .piece)
                } else {
                    try container.encode(bytes.map(Int.init), forKey: .piece)
                }
            }
        }
    }

    private struct Detokenized: Encodable {
        var content: String
    }

    private struct RenderedPrompt: Encodable {
        var prompt: String
    }
}
