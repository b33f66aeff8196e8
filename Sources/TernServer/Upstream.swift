public import Foundation

/// A model served by another OpenAI-compatible server (another Tern, llama-server, vLLM, a hosted provider): Tern's
/// keys, limits, budgets and ledger apply to it as to a local model, and its answers pass through as they come.
/// Several upstreams with one id are deployments of one model, balanced and failed over (``UpstreamPool``).
///
/// ```swift
/// Upstream(id: "big", baseURL: URL(string: "http://10.0.0.7:8080/v1")!, model: "llama-3.1-70b", apiKey: key)
/// ```
public struct Upstream: Sendable, Equatable {
    /// The id clients use.
    public var id: String
    /// The server's API root, ending in `/v1` for most servers; endpoints are appended to it.
    public var baseURL: URL
    /// The model's name on the upstream server.
    public var model: String
    /// The bearer key the upstream expects; nil for none.
    public var apiKey: String?
    /// Its share of the requests among the deployments of the same id: a deployment of weight 2 takes twice the
    /// outstanding requests of one of weight 1.
    public var weight: Int

    /// An upstream model.
    public init(id: String, baseURL: URL, model: String, apiKey: String? = nil, weight: Int = 1) {
        self.id = id
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.weight = weight
    }
}
