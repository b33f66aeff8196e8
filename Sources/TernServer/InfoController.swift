import Foundation
import Hummingbird
import TernOpenAI
import TernStore

/// The routes that describe the server: models, health and the OpenAPI document.
struct InfoController: Sendable {
    let fleet: ModelFleet
    /// The ids of models served by upstream servers.
    var upstreams: [String] = []
    /// Reported as `created` of every model: when the server started.
    let created = Int(Date().timeIntervalSince1970)

    /// `GET /v1/models`: every served model the key may use (all of them without access control), loaded or not, then
    /// the aliases, then the upstream models.
    func models(for key: APIKey?) -> Response {
        let local = fleet.names.all.filter { key?.allows(model: fleet.names.names(of: $0)) ?? true }
        let remote = upstreams.filter { key?.allows(model: [$0]) ?? true }
        return .json(ModelList(data: local.map(entry) + remote.map(upstreamEntry)))
    }

    /// `GET /v1/models/{id}`: 404 also for a model the key may not use, as OpenAI answers.
    func model(_ name: String, for key: APIKey?) throws(OpenAIError) -> Response {
        if upstreams.contains(name), key?.allows(model: [name]) ?? true { return .json(upstreamEntry(name)) }
        guard fleet.names.serves(name), key?.allows(model: fleet.names.names(of: name)) ?? true else { throw .modelNotFound(name) }
        return .json(entry(name))
    }

    /// An upstream model: always there as far as this server knows.
    private func upstreamEntry(_ name: String) -> Model {
        Model(id: name, created: created, ownedBy: "upstream")
    }

    /// The entry of `name` (an id or an alias), with where its model stands.
    private func entry(_ name: String) -> Model {
        let id = fleet.names.id(of: name)
        return Model(
            id: name, created: created, status: id.flatMap(fleet.availability)?.rawValue, capabilities: id.flatMap(fleet.capabilities))
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
