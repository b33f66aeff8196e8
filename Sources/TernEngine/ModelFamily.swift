import TernGGUF

/// A model family: how the GGUF keys and tensor names of one `general.architecture` map onto the description the
/// forward pass runs (``ModelConfig``, ``TensorNames``). Nothing else differs from one family to another.
///
/// Each family is one file in `Architectures/`, a static value registered in ``all``; `docs/adding-a-model.md` walks
/// through adding one.
///
/// ```swift
/// extension ModelFamily {
///     static let qwen2 = ModelFamily(name: "qwen2") { config, _ in config.ropeStyle = .neox }
/// }
/// ```
struct ModelFamily: Sendable {
    /// Adjusts the description read the common way (llama defaults) to the family's own keys and choices.
    typealias Describe = @Sendable (_ config: inout ModelConfig, _ metadata: ModelMetadata) throws(EngineError) -> Void

    /// `general.architecture`.
    let name: String
    /// The names of the family's tensors.
    let tensors: TensorNames
    /// The family's hyper-parameters and choices.
    let describe: Describe

    /// A family called `name` whose tensors are named `tensors` and whose description `describe` completes.
    init(name: String, tensors: TensorNames = TensorNames(), describe: @escaping Describe) {
        self.name = name
        self.tensors = tensors
        self.describe = describe
    }

    /// Every family Tern runs.
    static let all: [ModelFamily] = [.llama, .gemma2, .gemma3, .qwen2, .qwen3, .qwen3moe, .phi3]

    /// The family that `file`'s `general.architecture` names.
    ///
    /// - Throws: ``EngineError/Code/unsupportedArchitecture``, listing the supported families, when Tern has none by that name.
    static func of(_ file: GGUFFile) throws(EngineError) -> ModelFamily {
        guard let architecture = file.metadata["general.architecture"]?.string else {
            throw EngineError(.invalidMetadata, "general.architecture is missing: this GGUF file does not say which model family it holds")
        }
        guard let family = all.first(where: { $0.name == architecture }) else {
            throw EngineError(
                .unsupportedArchitecture,
                "model family '\(architecture)' is not supported yet; supported: \(ModelArchitectures.supported.joined(separator: ", "))")
        }
        return family
    }
}
