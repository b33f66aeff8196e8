import TernEngine
import TernScheduler

/// What the server keeps of one served model whether or not it is loaded: its source, the grammars compiled for it,
/// and the values that fill the fields requests leave out. ``ModelFleet`` loads and unloads it.
public final class ModelHost: Sendable {
    /// The model's id.
    public let id: String
    /// Where it comes from.
    let source: ModelSource
    /// The grammars of the response formats asked for, compiled once per schema.
    let grammars = ResponseGrammars()
    /// The operator's sampling values, before the model's own and llama.cpp's.
    let samplingOptions: SamplingDefaults
    /// Most tokens a chat completion generates when the request sets no limit.
    let defaultMaxTokens: Int

    init(source: ModelSource, samplingOptions: SamplingDefaults, defaultMaxTokens: Int) {
        id = source.id
        self.source = source
        self.samplingOptions = samplingOptions
        self.defaultMaxTokens = defaultMaxTokens
    }

    /// The sampling values for fields a request leaves out: the operator's, else the model's, else llama.cpp's.
    func samplingDefaults(for model: LoadedModel) -> SamplingDefaults {
        samplingOptions.filling(from: model.samplingDefaults).filling(from: .llamaCpp)
    }
}

/// A model loaded for one request, kept loaded until the request has submitted its sequences (which then keep it).
struct ModelLease: Sendable {
    /// The model.
    let host: ModelHost
    /// Its running scheduler.
    let scheduler: Scheduler
}
