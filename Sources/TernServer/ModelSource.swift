public import TernEngine

/// A model the server may serve: its id and how to open it.
///
/// ```swift
/// ModelSource(id: "gemma-3-270m", path: { path }, load: { try LoadedModel(path: path) })
/// ```
public struct ModelSource: Sendable {
    /// The id clients use, e.g. `SmolLM2-135M-Instruct.Q4_1`.
    public let id: String
    /// The file, for estimating the model's memory before loading it; nil when it is not there yet (the default model
    /// before it is fetched), in which case the model counts once loaded.
    public let path: @Sendable () -> String?
    /// Opens the model, fetching it first if need be; called on a thread of its own each time the model is loaded.
    public let load: @Sendable () throws -> LoadedModel

    /// A source; `path` should be cheap, `load` may take long.
    public init(id: String, path: @escaping @Sendable () -> String?, load: @escaping @Sendable () throws -> LoadedModel) {
        self.id = id
        self.path = path
        self.load = load
    }
}
