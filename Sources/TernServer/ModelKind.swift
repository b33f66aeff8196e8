import TernEngine

/// What a model does, as its file says: generate text, or only embed it.
enum ModelKind: Equatable, Sendable {
    /// A decoder: chat, completions, and embeddings by mean pooling.
    case generates
    /// An encoder of `family` (`bert`, …): embeddings only.
    case embeds(family: String)

    init(_ config: ModelConfig) {
        self = config.causal ? .generates : .embeds(family: config.architecture)
    }

    /// The endpoints it serves, as `GET /v1/models` lists them.
    var capabilities: [String] {
        switch self {
        case .generates: ["chat", "completions", "embeddings"]
        case .embeds: ["embeddings"]
        }
    }
}
