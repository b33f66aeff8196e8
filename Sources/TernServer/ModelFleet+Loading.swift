import Foundation
import TernEngine
import TernGGUF
import TernOpenAI
import TernScheduler

extension ModelFleet {
    /// The fleet's state, behind its lock.
    struct State {
        var slots: [String: Slot] = [:]
        /// Set once the preloads are loaded.
        var preloaded = false
        /// Set at shutdown: nothing loads any more.
        var stopped = false
        /// The number of the last request that asked for a model.
        var nextWaiter = 0

        /// Bytes of the models loaded, loading or on their way out.
        var reservedBytes: Int { slots.values.reduce(0) { $0 + $1.reserved } }
    }

    /// One model's state.
    struct Slot {
        var phase = Phase.unloaded
        /// Requests between ``ModelFleet/acquire(_:)`` and ``ModelFleet/release(_:)``.
        var leases = 0
        /// Requests waiting for the model to load.
        var waiters: [Waiter] = []
        /// Bytes the model takes loaded, estimated from its file before the first load.
        var estimate: Int?
        /// What the model does, once its file has been read or it has loaded: requests to generate text with an
        /// embedding model are refused without loading it.
        var kind: ModelKind?
        /// Bytes counted against the memory budget: the estimate while loading, the real figure once loaded.
        var reserved = 0
        /// When it was last asked for or seen running, for choosing which model goes first.
        var lastUsed = ContinuousClock.now
        /// Since when it has had no request, while loaded.
        var idleSince: ContinuousClock.Instant?
        /// When it began to wait for room: loads go ahead in this order.
        var queuedAt = ContinuousClock.now
        var loads = 0
        var unloads = 0
        var loadSeconds = 0.0
        /// Why the last load failed, and the file's size and time then: until the file changes, requests get the same
        /// answer at once, and the model makes no other model leave to try again.
        var failure: (error: OpenAIError, file: String)?
    }

    /// A request waiting for its model, by its number.
    struct Waiter {
        let id: Int
        /// The name a request to generate text asked by; such a request is refused once the file says the model only
        /// embeds. Nil for requests that embed, tokenize or load.
        let generatingAs: String?
        let continuation: CheckedContinuation<Scheduler, any Error>
    }

    /// Where a model stands.
    enum Phase {
        case unloaded
        /// Asked for; its memory is being estimated or other models are making room for it.
        case waitingForRoom
        case loading
        case ready(Scheduler)
        /// To be unloaded once its running requests end; new ones wait.
        case draining(Scheduler)
        case unloading
        case stopped

        /// The scheduler of a model ready for requests.
        var scheduler: Scheduler? {
            if case .ready(let scheduler) = self { return scheduler }
            return nil
        }

        /// The scheduler of a model in memory: ready, or draining before it is unloaded.
        var loaded: Scheduler? {
            switch self {
            case .ready(let scheduler), .draining(let scheduler): scheduler
            default: nil
            }
        }

        var availability: Availability {
            switch self {
            case .ready, .draining: .loaded
            case .waitingForRoom, .loading: .loading
            case .unloaded, .unloading, .stopped: .unloaded
            }
        }
    }

    /// Work decided under the lock and done after it.
    enum Action {
        case resume([Waiter], Result<Scheduler, OpenAIError>)
        case estimate(ModelHost)
        case load(ModelHost)
        case unload(ModelHost, Scheduler, reason: String)
    }

    /// Lets loads waiting for room go ahead in the order they asked, making room where the budget needs it, and
    /// unloads drained models whose requests have ended. Called with the lock held.
    func progress(_ state: inout State) -> [Action] {
        guard !state.stopped else { return [] }
        var actions: [Action] = []
        for id in names.ids {
            if case .draining(let scheduler) = state.slots[id]?.phase { actions += unloadIfIdle(id, scheduler, &state) }
        }
        let waiting = names.ids.filter { id in
            guard let slot = state.slots[id], case .waitingForRoom = slot.phase else { return false }
            return slot.estimate != nil
        }
        for id in waiting.sorted(by: { state.slots[$0]!.queuedAt < state.slots[$1]!.queuedAt }) {
            guard var slot = state.slots[id], let estimate = slot.estimate, let host = hosts[id] else { continue }
            let used = state.reservedBytes
            guard let budget = policy.memoryBytes, used + estimate > budget else {
                slot.phase = .loading
                slot.reserved = estimate
                state.slots[id] = slot
                actions.append(.load(host))
                continue
            }
            if estimate > budget {
                actions.append(.resume(slot.waiters, .failure(Self.tooLarge(id, needs: estimate, budget: budget))))
                slot.waiters = []
                slot.phase = .unloaded
                state.slots[id] = slot
                continue
            }
            // The least recently used loaded models go, idle ones before busy ones, until this one fits.
            var leaving = state.slots.values.reduce(0) { sum, slot in
                switch slot.phase {
                case .draining, .unloading: sum + slot.reserved
                default: sum
                }
            }
            let candidates = names.ids.compactMap { id -> (id: String, scheduler: Scheduler, busy: Bool, lastUsed: ContinuousClock.Instant)? in
                guard let slot = state.slots[id], case .ready(let scheduler) = slot.phase else { return nil }
                return (id, scheduler, slot.leases > 0 || scheduler.load > 0, slot.lastUsed)
            }.sorted { ($0.busy ? 1 : 0, $0.lastUsed) < ($1.busy ? 1 : 0, $1.lastUsed) }
            for candidate in candidates where used + estimate - leaving > budget {
                leaving += state.slots[candidate.id]!.reserved
                state.slots[candidate.id]!.phase = .draining(candidate.scheduler)
                actions += unloadIfIdle(candidate.id, candidate.scheduler, &state)
            }
            // Later loads wait their turn: letting a small model overtake could starve a large one.
            break
        }
        return actions
    }

    /// Starts unloading the draining model `id` when it has no request left.
    private func unloadIfIdle(_ id: String, _ scheduler: Scheduler, _ state: inout State) -> [Action] {
        guard let host = hosts[id], state.slots[id]?.leases == 0, scheduler.load == 0 else { return [] }
        state.slots[id]?.phase = .unloading
        return [.unload(host, scheduler, reason: "room for another model")]
    }

    /// Does what ``progress(_:)`` and the others decided, outside the lock.
    func perform(_ actions: [Action]) {
        for action in actions {
            switch action {
            case .resume(let waiters, let result):
                for waiter in waiters { waiter.continuation.resume(with: result.mapError { $0 }) }
            case .estimate(let host):
                let configuration = makeConfiguration
                detach(named: "tern-estimate") { [self] in
                    let result = Result {
                        try host.source.path().map { try Self.estimate(path: $0, configuration: configuration) } ?? Estimate(bytes: 0)
                    }
                    estimated(host, result)
                }
            case .load(let host):
                detach(named: "tern-load") { [self] in loadNow(host) }
            case .unload(let host, let scheduler, let reason):
                detach(named: "tern-unload") { [self] in
                    scheduler.shutdown()
                    unloaded(host, reason: reason)
                }
            }
        }
    }

    /// The size and modification time of the model's file, to tell whether it changed; nil when there is no file yet.
    static func fileStamp(of host: ModelHost) -> String? {
        guard let path = host.source.path(), let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return "\(attributes[.size] ?? "") \(attributes[.modificationDate] ?? "")"
    }

    /// Reads, one at a time on a thread of its own, the files of the models whose kind is not known yet:
    /// `GET /v1/models` then tells embedding models from the others (the chat page lists only those that chat), and a
    /// request to generate text with an embedding model is refused before it is first loaded. A file that cannot be
    /// read is left to the first request for its model, which reports why. Nothing waits for the thread: a read that
    /// hangs (a file on a stalled mount) does not hold up shutdown.
    func readFilesInBackground() {
        detach(named: "tern-read") { [self] in
            for id in names.ids {
                guard let host = hosts[id], state.withLock({ !$0.stopped && $0.slots[id]?.kind == nil }) else { continue }
                // Regular files only: opening a FIFO would wait for a writer and hold up the models after it.
                guard let path = host.source.path(), Self.isRegularFile(path),
                    let kind = try? Self.estimate(path: path, configuration: makeConfiguration).kind
                else { continue }
                state.withLock { state in
                    guard var slot = state.slots[id], slot.kind == nil else { return }
                    slot.kind = kind
                    state.slots[id] = slot
                }
            }
        }
    }

    /// Whether `path` (symbolic links followed) is a regular file.
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// Bytes the model at `path` will take: weights as packed plus its KV budget.
    static func estimate(path: String, configuration: (ModelConfig) -> SchedulerConfiguration) throws -> Estimate {
        let file = try GGUFFile(path: path)
        let config = try ModelConfig(file: file)
        return Estimate(
            bytes: LoadedModel.weightBytes(of: file) + configuration(config).kvMemoryBudget(for: config), kind: ModelKind(config))
    }

    /// What a model's file says before it is loaded.
    struct Estimate {
        /// Bytes the model will take: weights as packed plus its KV budget.
        var bytes: Int
        /// What it does; nil when there is no file to read.
        var kind: ModelKind? = nil
    }

    private func estimated(_ host: ModelHost, _ result: Result<Estimate, any Error>) {
        let actions = state.withLock { state -> [Action] in
            guard var slot = state.slots[host.id], case .waitingForRoom = slot.phase else { return [] }
            switch result {
            case .success(let estimate):
                slot.estimate = estimate.bytes
                slot.kind = estimate.kind ?? slot.kind
                var refused: [Action] = []
                if case .embeds(let family)? = estimate.kind {
                    // Requests to generate text with an embedding model are refused without loading it.
                    for waiter in slot.waiters {
                        if let name = waiter.generatingAs { refused.append(.resume([waiter], .failure(Self.cannotGenerate(name, family: family)))) }
                    }
                    slot.waiters.removeAll { $0.generatingAs != nil }
                    if slot.waiters.isEmpty { slot.phase = .unloaded }
                }
                state.slots[host.id] = slot
                return refused + progress(&state)
            case .failure(let error):
                let waiters = slot.waiters
                slot.waiters = []
                let failure = failed(&slot, host, error)
                state.slots[host.id] = slot
                return [.resume(waiters, .failure(failure))] + progress(&state)
            }
        }
        perform(actions)
    }

    /// Opens the model and starts its scheduler; on its own thread.
    private func loadNow(_ host: ModelHost) {
        let started = ContinuousClock.now
        let result = Result { () throws -> (scheduler: Scheduler, bytes: Int) in
            let model = try host.source.load()
            var configuration = makeConfiguration(model.config)
            configuration.compute = compute
            let scheduler = try Scheduler(model: model, configuration: configuration, logger: logger)
            scheduler.start()
            // As the estimate counts it: an encoder keeps no keys and values.
            return (scheduler, model.weightBytes + configuration.kvMemoryBudget(for: model.config))
        }
        let seconds = (ContinuousClock.now - started).seconds
        let actions = state.withLock { state -> [Action] in
            guard var slot = state.slots[host.id], case .loading = slot.phase else {
                // Shut down meanwhile.
                if case .success(let loaded) = result { return [.unload(host, loaded.scheduler, reason: "shutdown")] }
                return []
            }
            let waiters = slot.waiters
            slot.waiters = []
            switch result {
            case .success(let (scheduler, bytes)):
                slot.phase = .ready(scheduler)
                slot.reserved = bytes
                slot.estimate = slot.reserved
                slot.kind = ModelKind(scheduler.model.config)
                // The waiting requests hold the model from now, so that it cannot be drained before they run.
                slot.leases += waiters.count
                slot.lastUsed = .now
                slot.loads += 1
                slot.loadSeconds += seconds
                slot.failure = nil
                state.slots[host.id] = slot
                logger.info(
                    "model loaded",
                    metadata: ["model.id": "\(host.id)", "load.seconds": "\(seconds)", "memory.bytes": "\(slot.reserved)"])
                let sampling = host.samplingDefaults(for: scheduler.model)
                logger.info(
                    "sampling defaults for fields requests leave out",
                    metadata: [
                        "model.id": "\(host.id)", "temperature": "\(sampling.temperature ?? 1)", "top_k": "\(sampling.topK ?? 0)",
                        "top_p": "\(sampling.topP ?? 1)", "min_p": "\(sampling.minP ?? 0)",
                        "repetition_penalty": "\(sampling.repetitionPenalty ?? 1)",
                        "max_tokens": "\(min(host.defaultMaxTokens, scheduler.configuration.contextLength))",
                    ])
                return [.resume(waiters, .success(scheduler))] + progress(&state)
            case .failure(let error):
                let failure = failed(&slot, host, error)
                state.slots[host.id] = slot
                return [.resume(waiters, .failure(failure))] + progress(&state)
            }
        }
        perform(actions)
    }

    /// Marks the model in `slot` unloaded after its file could not be read or loaded, remembers why (with the file's
    /// stamp), logs it, and returns what its requests get.
    private func failed(_ slot: inout Slot, _ host: ModelHost, _ error: any Error) -> OpenAIError {
        let failure = Self.loadFailed(host.id, error)
        slot.phase = .unloaded
        slot.reserved = 0
        slot.failure = Self.fileStamp(of: host).map { (failure, $0) }
        logger.error("model cannot be loaded", metadata: ["model.id": "\(host.id)", "error": "\(error)"])
        return failure
    }

    private func unloaded(_ host: ModelHost, reason: String) {
        let actions = state.withLock { state -> [Action] in
            guard var slot = state.slots[host.id], case .unloading = slot.phase else { return [] }
            slot.reserved = 0
            slot.unloads += 1
            slot.idleSince = nil
            slot.phase = .unloaded
            if !slot.waiters.isEmpty {
                slot.phase = .waitingForRoom
                slot.queuedAt = .now
            }
            state.slots[host.id] = slot
            logger.info("model unloaded", metadata: ["model.id": "\(host.id)", "reason": "\(reason)"])
            return progress(&state)
        }
        perform(actions)
    }

    /// 500 for a model that cannot be loaded, with the reason.
    static func loadFailed(_ id: String, _ error: any Error) -> OpenAIError {
        OpenAIError(
            status: 500, message: "The model `\(id)` could not be loaded: \(error)", type: "server_error", code: "model_load_failed")
    }

    /// 500 for a model larger than the whole memory budget.
    static func tooLarge(_ id: String, needs: Int, budget: Int) -> OpenAIError {
        OpenAIError(
            status: 500,
            message: "The model `\(id)` needs about \(needs >> 20) MiB (weights and KV cache), more than the models' memory budget of "
                + "\(budget >> 20) MiB; raise --models-memory, or lower --ctx or --max-sequences.",
            type: "server_error", code: "model_too_large")
    }
}

/// Runs `work` on a new thread of its own, so that loading never holds an event loop (where `tern serve` runs its
/// tasks) or a thread of Swift's cooperative pool.
func detach(named name: String, _ work: @escaping @Sendable () -> Void) {
    let thread = Thread(block: work)
    thread.name = name
    thread.stackSize = 8 << 20
    thread.start()
}

/// Runs blocking `work` on a new thread and returns its result.
func onThread<Value: Sendable>(named name: String, _ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        detach(named: name) { continuation.resume(with: Result { try work() }) }
    }
}

/// Runs `work` at once when its input of `bytes` is under `threshold`, else on a thread of its own: long work on a
/// request's event loop would hold up every other connection of that loop, and a thread costs more than short work.
func onThread<Value: Sendable>(
    named name: String, bytes: Int, threshold: Int, _ work: @escaping @Sendable () throws -> Value
) async throws -> Value {
    bytes < threshold ? try work() : try await onThread(named: name, work)
}
