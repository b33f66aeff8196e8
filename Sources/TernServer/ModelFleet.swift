import Foundation
import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle
import Synchronization
import TernEngine
import TernGGUF
import TernOpenAI
public import TernScheduler

/// The served models: loaded when a request asks for one, unloaded when idle for the keep-alive or when another needs
/// their memory; a `Service` of the application.
///
/// A request waits while its model loads (other models keep serving). Before a load, the model's memory — its weights
/// as packed plus its KV budget — is estimated, and the least recently used models are unloaded until it fits the
/// budget: idle ones at once, busy ones once their requests end (new requests for them wait meanwhile), so models
/// that do not fit together take turns. A model is never unloaded under a request. Every loaded model has its own
/// scheduler, KV cache and prefix cache; their forward passes take turns on one ``ComputeShare``.
public final class ModelFleet: Service, Sendable {
    /// Where a model stands, as `GET /v1/models/{id}` reports it.
    public enum Availability: String, Sendable {
        /// Ready to run requests.
        case loaded
        /// Waiting for room or being read.
        case loading
        /// Not in memory; the next request loads it.
        case unloaded
    }

    /// How many models may be loaded and for how long.
    public struct Policy: Sendable {
        /// The most bytes the loaded models' weights and KV budgets may take together; nil for no bound.
        public var memoryBytes: Int?
        /// How long a model may sit idle before it is unloaded; nil for never.
        public var keepAlive: Duration?
        /// Ids of the models loaded at start (the server is healthy once they are).
        public var preload: [String]
        /// Requests that may wait for one model to load; more get 503 overloaded.
        public var maxWaiting: Int

        /// A policy.
        public init(memoryBytes: Int? = nil, keepAlive: Duration? = nil, preload: [String] = [], maxWaiting: Int = 64) {
            self.memoryBytes = memoryBytes
            self.keepAlive = keepAlive
            self.preload = preload
            self.maxWaiting = maxWaiting
        }
    }

    /// The models' ids and aliases.
    public let names: ModelNames
    /// Each model's lasting parts, by id.
    let hosts: [String: ModelHost]
    let policy: Policy
    /// The compute threads every model's forward passes share.
    let compute: ComputeShare
    let makeConfiguration: @Sendable (ModelConfig) -> SchedulerConfiguration
    let logger: Logger
    let state = Mutex(State())

    /// A fleet of `sources` (each id once), none loaded until ``run()`` preloads or a request asks.
    ///
    /// - Parameters:
    ///   - aliases: other names → ids.
    ///   - configuration: each model's scheduler configuration, given its hyper-parameters; its pool is replaced by the
    ///     shared one of `threads` threads.
    init(
        sources: [ModelSource], aliases: [String: String], policy: Policy, threads: Int, samplingOptions: SamplingDefaults = SamplingDefaults(),
        defaultMaxTokens: Int = 4096, logger: Logger, configuration: @escaping @Sendable (ModelConfig) -> SchedulerConfiguration
    ) throws(ModelNamesError) {
        names = try ModelNames(ids: sources.map(\.id), aliases: aliases)
        for id in policy.preload where !names.ids.contains(id) {
            throw ModelNamesError(description: "--preload \(id): no such model (served: \(names.ids.joined(separator: ", ")))")
        }
        hosts = Dictionary(
            uniqueKeysWithValues: sources.map {
                ($0.id, ModelHost(source: $0, samplingOptions: samplingOptions, defaultMaxTokens: defaultMaxTokens))
            })
        self.policy = policy
        compute = ComputeShare(threads: threads)
        makeConfiguration = configuration
        self.logger = logger
        state.withLock { state in
            for id in names.ids { state.slots[id] = Slot() }
        }
    }

    // MARK: - Requests

    /// The model a request calls `name`, checked against the request's key, loaded (waiting while it loads) and kept
    /// loaded while `body` runs.
    ///
    /// 404 for a name not served, 403 for a model the key may not use, 400 when `generating` and the model only embeds,
    /// 500 naming the reason when it cannot be loaded, 503 when the server is shutting down.
    func withModel<Value>(
        _ name: String, context: TernRequestContext, generating: Bool = false, _ body: (ModelLease) async throws -> Value
    ) async throws -> Value {
        guard let id = names.id(of: name), let host = hosts[id] else { throw OpenAIError.modelNotFound(name) }
        try context.access?.use(model: name, names: names.names(of: name))
        if generating, case .embeds(let family)? = state.withLock({ $0.slots[id]?.kind }) { throw Self.cannotGenerate(name, family: family) }
        let scheduler = try await acquire(host, generatingAs: generating ? name : nil)
        defer { release(host) }
        if generating, !scheduler.model.config.causal { throw Self.cannotGenerate(name, family: scheduler.model.config.architecture) }
        return try await body(ModelLease(host: host, scheduler: scheduler))
    }

    /// Where the model `id` stands, nil for an id not served.
    public func availability(of id: String) -> Availability? {
        state.withLock { $0.slots[id]?.phase.availability }
    }

    /// The endpoints model `id` serves, as `GET /v1/models` lists them; nil until its file has been read.
    public func capabilities(of id: String) -> [String]? {
        state.withLock { $0.slots[id]?.kind?.capabilities }
    }

    /// The running scheduler of `id`, nil unless it is loaded.
    public func scheduler(of id: String) -> Scheduler? {
        state.withLock { $0.slots[id]?.phase.scheduler }
    }

    /// Whether the server can take requests: the preloaded models are loaded and it is not shutting down.
    var health: (ready: Bool, reason: String?) {
        state.withLock { state in
            if state.stopped { return (false, "shutting_down") }
            return state.preloaded ? (true, nil) : (false, "loading")
        }
    }

    /// A lease on the loaded model of `host`; loads it first, waiting while it loads. A request cancelled while it
    /// waits (its client hung up) leaves the queue. A request to generate text gives the name it asked by, so that it
    /// is refused, without a load, when the model's file says it only embeds.
    func acquire(_ host: ModelHost, generatingAs name: String? = nil) async throws -> Scheduler {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Scheduler, any Error>) in
                let waiter = Waiter(id: id, generatingAs: name, continuation: continuation)
                let actions = state.withLock { state -> [Action] in
                    // Under the lock, so that a cancellation either is seen here or finds the waiter queued.
                    if Task.isCancelled { return [.resume([waiter], .failure(Self.cancelled))] }
                    return enqueue(waiter, for: host, &state)
                }
                perform(actions)
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.slots[host.id]?.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.slots[host.id]?.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: Self.cancelled)
        }
    }

    /// Leases the model to `waiter` at once when it is loaded, else queues it (starting the load when nothing has yet).
    private func enqueue(_ waiter: Waiter, for host: ModelHost, _ state: inout State) -> [Action] {
        guard var slot = state.slots[host.id] else { return [.resume([waiter], .failure(.modelNotFound(host.id)))] }
        switch slot.phase {
        case .ready(let scheduler):
            slot.leases += 1
            slot.lastUsed = .now
            slot.idleSince = nil
            state.slots[host.id] = slot
            return [.resume([waiter], .success(scheduler))]
        case .stopped:
            return [.resume([waiter], .failure(Self.shuttingDown))]
        case _ where slot.waiters.count >= policy.maxWaiting:
            return [.resume([waiter], .failure(.overloaded(retryAfterSeconds: 1)))]
        case .unloaded:
            if let failure = slot.failure {
                if failure.file == Self.fileStamp(of: host) { return [.resume([waiter], .failure(failure.error))] }
                slot.failure = nil
            }
            slot.waiters.append(waiter)
            slot.phase = .waitingForRoom
            slot.queuedAt = .now
            state.slots[host.id] = slot
            if slot.estimate == nil { return [.estimate(host)] }
            return progress(&state)
        case .waitingForRoom, .loading, .draining, .unloading:
            state.slots[host.id]?.waiters.append(waiter)
            return []
        }
    }

    /// What a request cancelled while waiting for its model gets (its client is gone and sees nothing).
    static let cancelled = OpenAIError(status: 499, message: "The request was cancelled.", type: "invalid_request_error", code: "cancelled")

    /// Ends a lease taken by ``acquire(_:)``.
    func release(_ host: ModelHost) {
        state.withLock { state in
            state.slots[host.id]?.leases -= 1
            state.slots[host.id]?.lastUsed = .now
        }
    }

    /// Loads `id` if it is not loaded, waiting until it is (or failing as a request would).
    func load(_ id: String) async throws {
        guard let host = hosts[id] else { throw OpenAIError.modelNotFound(id) }
        _ = try await acquire(host)
        release(host)
    }

    /// Unloads `id` once its running requests have ended (new ones wait, then load it again), and returns when it is
    /// out; a model being loaded is unloaded once it is ready.
    func unload(_ id: String) async throws {
        guard hosts[id] != nil else { throw OpenAIError.modelNotFound(id) }
        var drained = false
        while true {
            let (actions, phase) = state.withLock { state -> ([Action], Phase?) in
                let phase = state.slots[id]?.phase
                guard !drained, case .ready(let scheduler) = phase else { return ([], phase) }
                drained = true
                state.slots[id]?.phase = .draining(scheduler)
                return (progress(&state), .draining(scheduler))
            }
            perform(actions)
            switch phase {
            case .draining, .unloading: break
            // Loaded again for requests that came meanwhile: that is theirs.
            case .waitingForRoom, .loading: if drained { return }
            default: return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// One model's figures, for `/metrics`.
    public struct Report: Sendable {
        /// The model's id.
        public let id: String
        /// Whether it is loaded.
        public let loaded: Bool
        /// Its scheduler's figures since it was last loaded; zeros when it is not loaded.
        public let metrics: SchedulerMetrics
        /// Bytes it counts against the memory budget.
        public let memoryBytes: Int
        /// Times it was loaded and unloaded.
        public let loads: Int, unloads: Int
        /// Seconds spent loading it.
        public let loadSeconds: Double
    }

    /// Every model's figures, in the order the models were given.
    public func report() -> [Report] {
        state.withLock { state in
            names.ids.compactMap { id in
                guard let slot = state.slots[id] else { return nil }
                let scheduler = slot.phase.loaded
                return Report(
                    id: id, loaded: scheduler != nil, metrics: scheduler?.metrics ?? SchedulerMetrics(),
                    memoryBytes: scheduler != nil ? slot.reserved : 0, loads: slot.loads, unloads: slot.unloads, loadSeconds: slot.loadSeconds)
            }
        }
    }

    /// 400 for a request to generate text with an embedding model.
    static func cannotGenerate(_ name: String, family: String) -> OpenAIError {
        .invalidRequest(
            "The model `\(name)` is an embedding model (\(family)): it cannot generate text. Use it with /v1/embeddings.", param: "model",
            code: "model_not_supported")
    }

    static let shuttingDown = OpenAIError(status: 503, message: "The server is shutting down.", type: "server_error", code: "shutting_down")

    // MARK: - Service

    /// Preloads, then unloads models idle past the keep-alive (and drained ones) until graceful shutdown; then stops
    /// every scheduler. A preload that fails stops the server with its error.
    public func run() async throws {
        enum Ended { case preloads, shutdown }
        readFilesInBackground()
        // A timer on an event loop, not a sleeping task: each of Swift's sleeps wakes libdispatch's timer and a worker.
        let sweeping = MultiThreadedEventLoopGroup.singleton.any().scheduleRepeatedTask(
            initialDelay: .milliseconds(100), delay: .milliseconds(100)
        ) { [self] _ in sweep() }
        defer { sweeping.cancel() }
        do {
            try await withThrowingTaskGroup(of: Ended.self) { group in
                group.addTask { [self] in
                    try await withThrowingTaskGroup(of: Void.self) { preloads in
                        for id in policy.preload { preloads.addTask { try await self.load(id) } }
                        try await preloads.waitForAll()
                    }
                    state.withLock { $0.preloaded = true }
                    return .preloads
                }
                // Cancellation (the grace period ran out) also ends the wait.
                group.addTask {
                    try? await gracefulShutdown()
                    return .shutdown
                }
                // Until shutdown, or a preload that fails.
                while let ended = try await group.next() {
                    if ended == .shutdown { break }
                }
                group.cancelAll()
                // Also fails a preload still waiting for its model, so that the group can end.
                try await stop()
            }
        } catch {
            try await stop()
            throw error
        }
    }

    /// Marks every model stopped, fails the requests waiting for one, and shuts the running schedulers down.
    private func stop() async throws {
        let (schedulers, waiters) = state.withLock { state in
            state.stopped = true
            var schedulers: [Scheduler] = []
            var waiters: [Waiter] = []
            for id in names.ids {
                guard var slot = state.slots[id] else { continue }
                if let scheduler = slot.phase.loaded { schedulers.append(scheduler) }
                waiters += slot.waiters
                slot.waiters = []
                slot.phase = .stopped
                state.slots[id] = slot
            }
            return (schedulers, waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: Self.shuttingDown) }
        try await onThread(named: "tern-stop") {
            for scheduler in schedulers { scheduler.shutdown() }
        }
    }

    /// Unloads models idle past the keep-alive and drained ones; lets waiting loads go ahead where room frees up.
    private func sweep() {
        let actions = state.withLock { state -> [Action] in
            let now = ContinuousClock.now
            var actions: [Action] = []
            for id in names.ids {
                guard var slot = state.slots[id], case .ready(let scheduler) = slot.phase else { continue }
                if slot.leases > 0 || scheduler.load > 0 {
                    slot.idleSince = nil
                    slot.lastUsed = now
                } else {
                    let since = slot.idleSince ?? now
                    slot.idleSince = since
                    if let keepAlive = policy.keepAlive, now - since >= keepAlive, let host = hosts[id] {
                        slot.phase = .unloading
                        actions.append(.unload(host, scheduler, reason: "idle for the keep-alive"))
                    }
                }
                state.slots[id] = slot
            }
            return actions + progress(&state)
        }
        perform(actions)
    }
}
