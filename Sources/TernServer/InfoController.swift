import Foundation
import Hummingbird
import TernOpenAI

/// The routes that describe the server: models, health and the OpenAPI document.
struct InfoController: Sendable {
    let host: ModelHost
    /// Reported as `created` of every model: when the server started.
    let created = Int(Date().timeIntervalSince1970)

    /// `GET /v1/models`: the model and its aliases.
    func models() -> Response {
        .json(ModelList(data: host.names.all.map { Model(id: $0, created: created) }))
    }

    /// `GET /v1/models/{id}`.
    func model(_ id: String) throws(OpenAIError) -> Response {
        guard host.names.serves(id) else { throw .modelNotFound(id) }
        return .json(Model(id: id, created: created))
    }

    /// `GET /health`: 200 `{"status":"ok"}` when requests can be served, else 503 `{"status":"unavailable"}`.
    func health() -> Response {
        switch host.status {
        case .ready:
            return .json(Health(status: "ok", reason: nil))
        case .loading:
            return .json(Health(status: "unavailable", reason: "loading"), status: .serviceUnavailable, headers: [.retryAfter: "1"])
        case .stopped:
            return .json(Health(status: "unavailable", reason: "shutting_down"), status: .serviceUnavailable)
        }
    }

    /// `GET /openapi.json`.
    func openAPI() -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
    }

    private struct Health: Encodable {
        var status: String
        var reason: String?
    }
}
