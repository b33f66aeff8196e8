public import TernGGUF
public import TernTokenizer

/// A GGUF file opened for inference: its forward pass, tokenizer and chat template.
public final class LoadedModel: Sendable {
    /// The mapped file; the weights are views into it.
    public let file: GGUFFile
    /// The forward pass of the file's architecture.
    public let model: any LanguageModel
    /// The tokenizer described by the file's `tokenizer.ggml.*` keys.
    public let tokenizer: Tokenizer
    /// The file's `tokenizer.chat_template`, parsed, or nil when it has none.
    public let chatTemplate: ChatTemplate?

    /// Maps the file at `path` and builds everything needed to run it.
    public init(path: String) throws {
        file = try GGUFFile(path: path)
        model = try ModelArchitectures.load(file)
        tokenizer = try Tokenizer(gguf: file)
        chatTemplate = try file.metadata["tokenizer.chat_template"]?.string.map { source throws in try ChatTemplate(source: source) }
    }

    /// The hyper-parameters of the model.
    public var config: ModelConfig { model.config }

    /// Renders `messages` with the model's chat template and tokenizes the result, special tokens parsed.
    ///
    /// - Parameter limit: stop tokenizing once the prompt has more than this many tokens (see ``Tokenizer/encode(_:parseSpecial:limit:)``).
    public func encodeChat(_ messages: [ChatMessage], addGenerationPrompt: Bool = true, limit: Int = .max) throws -> [Int32] {
        guard let chatTemplate else {
            throw EngineError(.invalidMetadata, "this model has no tokenizer.chat_template; use a raw prompt instead")
        }
        let text = try chatTemplate.render(
            messages: messages, addGenerationPrompt: addGenerationPrompt,
            bosToken: tokenizer.bosTokenID.map { tokenizer.tokenText($0) } ?? "",
            eosToken: tokenizer.eosTokenID.map { tokenizer.tokenText($0) } ?? "")
        return encodeWithBOS(text, parseSpecial: true, limit: limit)
    }

    /// Tokenizes `text`, adding the BOS token first when the model asks for it.
    ///
    /// - Parameter limit: stop once more than this many tokens are found (see ``Tokenizer/encode(_:parseSpecial:limit:)``).
    public func encodeWithBOS(_ text: String, parseSpecial: Bool, limit: Int = .max) -> [Int32] {
        var ids = tokenizer.encode(text, parseSpecial: parseSpecial, limit: limit)
        if tokenizer.addBOS, let bos = tokenizer.bosTokenID, ids.first != bos {
            ids.insert(bos, at: 0)
        }
        return ids
    }
}
