import Foundation
import Hummingbird
import TernOpenAI

/// The routes that describe the server: models, health and the OpenAPI document.
struct InfoController: Sendable {
    let fleet: ModelFleet
    /// The ids of models served by upstream servers.
    var upstreams: [String] = []
    /// Reported as `created` of every model: when the server started.
    let created = Int(Date().timeIntervalSince1970)

    /// `GET /v1/models`: every served model, loaded or not, then the aliases, then the upstream models.
    func models() -> Response {
        .json(ModelList(data: fleet.names.all.map(entry) + upstreams.map(upstreamEntry)))
    }

    /// `GET /v1/models/{id}`.
    func model(_ name: String) throws(OpenAIError) -> Response {
        if upstreams.contains(name) { return .json(upstreamEntry(name)) }
        guard fleet.names.serves(name) else { throw .modelNotFound(name) }
        return .json(entry(name))
    }

    /// An upstream model: always there as far as this server knows.
    private func upstreamEntry(_ name: String) -> Model {
        Model(id: name, created: created, ownedBy: "upstream")
    }

    /// The entry of `name` (an id or an alias), with where its model stands.
    private func entry(_ name: String) -> Model {
        Model(id: name, created: created, status: fleet.names.id(of: name).flatMap(fleet.availability)?.rawValue)
    }

    /// `GET /health`: 200 `{"status":"ok"}` when requests can be served (the preloaded models are loaded), else 503
    /// `{"status":"unavailable"}` with the reason.
    func health() -> Response {
        let health = fleet.health
        if health.ready { return .json(Health(status: "ok", reason: nil)) }
        let retry: HTTPFields = health.reason == "loading" ? [.retryAfter: "1"] : [:]
        return .json(Health(status: "unavailable", reason: health.reason), status: .serviceUnavailable, headers: retry)
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
