public import TernGGUF
import TernTensors
public import TernTokenizer

/// A GGUF file opened for inference: its forward pass, tokenizer and chat template.
public final class LoadedModel: Sendable {
    /// The mapped file; the weights are views into it.
    public let file: GGUFFile
    /// The forward pass of the file's architecture.
    public let model: any LanguageModel
    /// The tokenizer described by the file's `tokenizer.ggml.*` keys.
    public let tokenizer: Tokenizer
    /// The file's `tokenizer.chat_template`, parsed, or nil when it has none or Tern cannot parse it.
    public let chatTemplate: ChatTemplate?
    /// Why the file's chat template cannot be used, when it has one that Tern cannot parse: the model still loads and
    /// runs raw prompts; ``encodeChat(_:addGenerationPrompt:limit:)`` throws this message.
    public let chatTemplateProblem: String?

    /// Maps the file at `path` and builds everything needed to run it, its weights held as `options` say.
    public init(path: String, options: LoadOptions = LoadOptions()) throws {
        file = try GGUFFile(path: path)
        model = try ModelArchitectures.load(file, options: options)
        tokenizer = try Tokenizer(gguf: file)
        // A template using features Tern's Jinja subset lacks must not keep the model from serving raw completions.
        if let source = file.metadata["tokenizer.chat_template"]?.string {
            do {
                chatTemplate = try ChatTemplate(source: source)
                chatTemplateProblem = nil
            } catch {
                chatTemplate = nil
                chatTemplateProblem = "this model's chat template cannot be used by Tern (\(error)); use a raw prompt (/v1/completions) instead"
            }
        } else {
            chatTemplate = nil
            chatTemplateProblem = nil
        }
    }

    /// The hyper-parameters of the model.
    public var config: ModelConfig { model.config }

    /// Bytes the weights occupy once loaded: the packed copies of the matrices and the tensors used in place.
    public var weightBytes: Int { Self.weightBytes(of: file) }

    /// Bytes the weights of `file` will occupy once loaded (see ``weightBytes``), without loading it.
    public static func weightBytes(of file: GGUFFile) -> Int {
        file.tensors.reduce(0) { sum, info in
            let packed =
                switch info.dimensions.count {
                case 2: WeightArena.bytes(for: info.type, rows: info.rowCount, columns: info.rowElements)
                case 3: info.dimensions[2] * WeightArena.bytes(for: info.type, rows: info.dimensions[1], columns: info.rowElements)
                default: 0
                }
            return sum + (packed > 0 ? packed : info.byteCount)
        }
    }

    /// The sampling values the file recommends (`general.sampling.*`); nil where it says nothing.
    public var samplingDefaults: SamplingDefaults { SamplingDefaults(metadata: file.metadata) }

    /// Renders `messages` with the model's chat template and tokenizes the result, special tokens parsed.
    ///
    /// - Parameter limit: stop tokenizing once the prompt has more than this many tokens (see ``Tokenizer/encode(_:parseSpecial:limit:)``).
    public func encodeChat(_ messages: [ChatMessage], addGenerationPrompt: Bool = true, limit: Int = .max) throws -> [Int32] {
        try encodeChat(messageValues: messages.map(\.templateValue), addGenerationPrompt: addGenerationPrompt, limit: limit)
    }

    /// Renders messages given as template values, with `extra` variables (`tools`, …), and tokenizes the result.
    public func encodeChat(
        messageValues: [TemplateValue], extra: [String: TemplateValue] = [:], addGenerationPrompt: Bool = true, limit: Int = .max
    ) throws -> [Int32] {
        let text = try renderChat(messageValues: messageValues, extra: extra, addGenerationPrompt: addGenerationPrompt)
        return encodeWithBOS(text, parseSpecial: true, limit: limit)
    }

    /// The prompt text of messages given as template values, with `extra` variables.
    public func renderChat(messageValues: [TemplateValue], extra: [String: TemplateValue] = [:], addGenerationPrompt: Bool = true) throws
        -> String
    {
        guard let chatTemplate else {
            throw EngineError(.invalidMetadata, chatTemplateProblem ?? "this model has no tokenizer.chat_template; use a raw prompt instead")
        }
        return try chatTemplate.render(
            messageValues: messageValues, addGenerationPrompt: addGenerationPrompt,
            bosToken: tokenizer.bosTokenID.map { tokenizer.tokenText($0) } ?? "",
            eosToken: tokenizer.eosTokenID.map { tokenizer.tokenText($0) } ?? "", extra: extra)
    }

    /// Tokenizes `text` as one input of its own, with the special tokens the model asks for around it, as llama.cpp's
    /// `add_special` does: BOS ([CLS]) first, EOS or [SEP] last where the tokenizer says to add them.
    ///
    /// - Parameter limit: stop once more than this many tokens are found (see ``Tokenizer/encode(_:parseSpecial:limit:)``).
    public func encodeWithSpecialTokens(_ text: String, parseSpecial: Bool, limit: Int = .max) -> [Int32] {
        var ids = encodeWithBOS(text, parseSpecial: parseSpecial, limit: limit)
        if tokenizer.addEOS, let eos = tokenizer.eosTokenID { ids.append(eos) }
        if tokenizer.addSEP, let sep = tokenizer.sepTokenID { ids.append(sep) }
        return ids
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
