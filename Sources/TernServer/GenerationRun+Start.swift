import TernEngine
import TernGrammar
import TernOpenAI
import TernScheduler

extension GenerationRun {
    /// What every generating endpoint does once its prompts are tokenized: plans `n` choices per prompt, reserves their
    /// tokens against the key's limits, submits them, and lets the key's ledger row follow the run.
    ///
    /// - Parameters:
    ///   - maxTokens: the client's limit, or nil for the server's default (`--max-tokens-default`, within the context).
    ///   - contextParam: the field named in a context-length error (`messages`, `prompt`).
    static func start(
        prompts: [[Int32]], n: Int, maxTokens: Int?, sampling: TernOpenAI.SamplingParameters, topLogprobs: Int?, grammar: TokenGrammar? = nil,
        contextParam: String, lease: ModelLease, context: TernRequestContext
    ) async throws -> (plan: GenerationPlan, run: GenerationRun) {
        let (host, scheduler) = (lease.host, lease.scheduler)
        let model = scheduler.model
        let plan = try GenerationPlan.make(
            prompts: prompts, n: n, maxTokens: maxTokens, defaultMaxTokens: host.defaultMaxTokens, sampling: sampling,
            defaults: host.samplingDefaults(for: model), topLogprobs: topLogprobs, contextLength: scheduler.configuration.contextLength,
            capacity: scheduler.configuration.capacity, vocabularySize: model.config.vocabularySize, contextParam: contextParam,
            grammar: grammar)
        try await context.access?.reserve(plan)
        let run = try GenerationRun(plan: plan, scheduler: scheduler, wantsLogprobs: topLogprobs != nil)
        context.access?.track(run.progress)
        return (plan, run)
    }
}
