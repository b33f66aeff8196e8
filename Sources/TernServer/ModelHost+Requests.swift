import TernOpenAI
import TernScheduler

extension ModelHost {
    /// The scheduler for a request that names `model`: 404 for a name not served, 503 while loading or stopping.
    func readyScheduler(for model: String) throws(OpenAIError) -> Scheduler {
        guard names.serves(model) else { throw .modelNotFound(model) }
        switch status {
        case .ready(let scheduler):
            return scheduler
        case .loading:
            throw Self.loadingError
        case .stopped:
            throw OpenAIError(status: 503, message: "The server is shutting down.", type: "server_error", code: "shutting_down")
        }
    }

    /// ``readyScheduler(for:)`` for a request that generates text: 400 when the model only embeds.
    func generatingScheduler(for model: String) throws(OpenAIError) -> Scheduler {
        let scheduler = try readyScheduler(for: model)
        guard scheduler.model.config.causal else {
            throw .invalidRequest(
                "The model `\(model)` is an embedding model (\(scheduler.model.config.architecture)): it cannot generate text. "
                    + "Use it with /v1/embeddings.", param: "model", code: "model_not_supported")
        }
        return scheduler
    }

    /// 503 while the model loads.
    static let loadingError = OpenAIError(
        status: 503, message: "The model is still loading; retry shortly.", type: "server_error", code: "model_loading", retryAfterSeconds: 1)
}
