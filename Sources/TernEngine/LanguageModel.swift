public import TernGGUF
import TernTensors

/// A model's forward pass over a batch of tokens from any number of sequences.
public protocol LanguageModel: AnyObject, Sendable {
    /// The description the model was built from.
    var config: ModelConfig { get }

    /// Runs `batch` through the model, writing keys and values into `cache`, the logits of every token that wants them
    /// into `state` (rows in batch order) and the final hidden state of every token that wants it (at its batch row).
    /// Returns the number of logit rows.
    func forward(_ batch: ForwardBatch, cache: KVCache, state: ForwardState) throws(EngineError) -> Int
}

/// The model families Tern can run, by `general.architecture`.
public enum ModelArchitectures {
    /// Builds the forward pass for the model in `file`, as its family describes it.
    ///
    /// - Throws: ``EngineError``; ``EngineError/Code/unsupportedArchitecture`` names the supported families.
    public static func load(_ file: GGUFFile, options: LoadOptions = LoadOptions()) throws(EngineError) -> any LanguageModel {
        if file.metadata["general.architecture"]?.string == ModelConfig.encoderArchitecture {
            return try EncoderModel(file: file, bf16Weights: options.bf16EncoderWeights && CPULevel.multipliesBF16Pairs)
        }
        let family = try ModelFamily.of(file)
        let config = try ModelConfig(file: file, family: family)
        return try TransformerModel(file: file, config: config, family: family)
    }

    /// Names of the supported families, sorted.
    public static let supported = (ModelFamily.all.map(\.name) + [ModelConfig.encoderArchitecture]).sorted()
}
