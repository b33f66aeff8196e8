public import TernGGUF

/// A model family's forward pass. Each family is one type, registered by its `general.architecture` name.
public protocol LanguageModel: AnyObject, Sendable {
    /// The hyper-parameters the model was built with.
    var config: ModelConfig { get }

    /// Runs `batch` through the model, writing keys and values into `cache` and the logits of every token that
    /// wants them into `state` (rows in batch order). Returns the number of logit rows.
    func forward(_ batch: ForwardBatch, cache: KVCache, state: ForwardState) throws(EngineError) -> Int
}

/// The model families Tern can run, by `general.architecture`.
public enum ModelArchitectures {
    /// Builds the forward pass for the architecture that `file` names.
    public static func load(_ file: GGUFFile) throws(EngineError) -> any LanguageModel {
        let config = try ModelConfig(file: file)
        switch config.architecture {
        case "llama":
            return try LlamaModel(file: file, config: config)
        default:
            throw EngineError(
                .unsupportedArchitecture,
                "model family '\(config.architecture)' is not supported yet; supported: \(supported.joined(separator: ", "))")
        }
    }

    /// Names of the supported families.
    public static let supported = ["llama"]
}
