import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization
public import TernEngine
public import TernScheduler

/// Loads the model in the background and owns the scheduler that runs it; a `Service` of the application.
///
/// The server binds first and answers `/health` with 503 while the model loads; requests that need the model get
/// 503 `model_loading` meanwhile. On graceful shutdown (after the HTTP server has finished its in-flight requests,
/// because the application shuts services down in reverse order) the scheduler is stopped.
public final class ModelHost: Service, Sendable {
    /// Where the model stands.
    public enum Status: Sendable {
        /// Being loaded.
        case loading
        /// Loaded; the scheduler is running.
        case ready(Scheduler)
        /// Stopped after shutdown.
        case stopped
    }

    /// The id and aliases of the model.
    public let names: ModelNames
    /// The grammars of the response formats asked for, compiled once per schema.
    let grammars = ResponseGrammars()
    /// The operator's sampling values, before the model's own and llama.cpp's.
    let samplingOptions: SamplingDefaults
    /// Most tokens a chat completion generates when the request sets no limit.
    let defaultMaxTokens: Int
    private let load: @Sendable () throws -> LoadedModel
    private let makeConfiguration: @Sendable (LoadedModel) -> SchedulerConfiguration
    private let logger: Logger
    private let state = Mutex<Status>(.loading)

    /// A host that will call `load` (on a thread of its own) when it starts running.
    ///
    /// - Parameters:
    ///   - names: the model's id and aliases.
    ///   - configuration: the scheduler's configuration for the loaded model.
    ///   - samplingOptions: the operator's sampling values for fields requests leave out.
    ///   - defaultMaxTokens: most tokens a chat completion generates when the request sets no limit.
    ///   - logger: the scheduler's logger.
    ///   - load: opens the model; may fetch it first.
    public init(
        names: ModelNames, configuration: @escaping @Sendable (LoadedModel) -> SchedulerConfiguration,
        samplingOptions: SamplingDefaults = SamplingDefaults(), defaultMaxTokens: Int = 4096, logger: Logger,
        load: @escaping @Sendable () throws -> LoadedModel
    ) {
        self.names = names
        self.samplingOptions = samplingOptions
        self.defaultMaxTokens = defaultMaxTokens
        self.logger = logger
        self.load = load
        makeConfiguration = configuration
    }

    /// The current status.
    public var status: Status { state.withLock { $0 } }

    /// The running scheduler, or nil while loading or after shutdown.
    public var scheduler: Scheduler? {
        if case .ready(let scheduler) = status { return scheduler }
        return nil
    }

    /// The sampling values for fields a request leaves out: the operator's, else the model's, else llama.cpp's.
    func samplingDefaults(for model: LoadedModel) -> SamplingDefaults {
        samplingOptions.filling(from: model.samplingDefaults).filling(from: .llamaCpp)
    }

    /// Loads the model, starts the scheduler, waits for graceful shutdown, then stops the scheduler.
    public func run() async throws {
        let load = self.load
        let makeConfiguration = self.makeConfiguration
        let logger = self.logger
        let scheduler = try await onThread(named: "tern-load") {
            let model = try load()
            let scheduler = try Scheduler(model: model, configuration: makeConfiguration(model), logger: logger)
            scheduler.start()
            return scheduler
        }
        let sampling = samplingDefaults(for: scheduler.model)
        logger.info(
            "sampling defaults for fields requests leave out",
            metadata: [
                "temperature": "\(sampling.temperature ?? 1)", "top_k": "\(sampling.topK ?? 0)", "top_p": "\(sampling.topP ?? 1)",
                "min_p": "\(sampling.minP ?? 0)", "repetition_penalty": "\(sampling.repetitionPenalty ?? 1)",
                "max_tokens": "\(min(defaultMaxTokens, scheduler.configuration.contextLength))",
            ])
        state.withLock { $0 = .ready(scheduler) }
        // Cancellation (the grace period ran out) also ends the wait; either way the scheduler is stopped.
        try? await gracefulShutdown()
        state.withLock { $0 = .stopped }
        try await onThread(named: "tern-stop") { scheduler.shutdown() }
    }
}

/// Runs blocking `work` on a new thread so that it never holds a thread of Swift's cooperative pool.
func onThread<Value: Sendable>(named name: String, _ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try work() })
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }
}
