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

    /// 503 while the model loads.
    static let loadingError = OpenAIError(
        status: 503, message: "The model is still loading; retry shortly.", type: "server_error", code: "model_loading", retryAfterSeconds: 1)
}
