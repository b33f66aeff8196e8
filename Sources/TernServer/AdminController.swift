import Foundation
import Hummingbird
import TernOpenAI
import TernStore

/// The admin API (an admin key required: every operation takes an ``AdminKey``): the operations of `tern keys` over HTTP.
///
/// - `POST /admin/keys` `{"name","models","rpm","tpm","max_concurrent","budget_tokens","budget_period","expires_at","admin"}`
///   → 201 with the key record and `"key"`, the secret, shown this once.
/// - `GET /admin/keys` → `{"object":"list","data":[…]}`; `DELETE /admin/keys/{id or name}` → the revoked record.
/// - `GET /admin/usage`: see ``UsageController``.
/// - `POST /admin/models/{id}/load` and `/unload` → `{"id","object":"model","status"}` once it is done.
struct AdminController: Sendable {
    let keys: any APIKeyStore
    let models: ModelFleet
    let bodyReader: RequestBodyReader

    func create(_ request: Request, by admin: AdminKey) async throws -> Response {
        var request = request
        let body = try await bodyReader.read(&request)
        let new: NewAPIKey
        do {
            new = try KeyRequest.decode(body)
        } catch let error as OpenAIError {
            throw error
        } catch {
            throw OpenAIError.malformedJSON(detail: "\(error)")
        }
        do {
            let created = try await keys.create(new)
            var object = try Self.jsonObject(created.key)
            object["key"] = created.secret.value
            return try Self.json(object, status: .created)
        } catch let error as TernStoreError {
            throw Self.openAIError(error)
        }
    }

    func list(by admin: AdminKey) async throws -> Response {
        let all = try await keys.keys()
        return try Self.json(["object": "list", "data": try all.map(Self.jsonObject)])
    }

    func revoke(_ idOrName: String, by admin: AdminKey) async throws -> Response {
        do {
            return try Self.json(try Self.jsonObject(try await keys.revoke(idOrName)))
        } catch let error as TernStoreError {
            throw Self.openAIError(error)
        }
    }

    /// Loads the model (an id or alias) and answers once it is loaded: `{"id", "object": "model", "status": "loaded"}`.
    func load(_ name: String, by admin: AdminKey) async throws -> Response {
        guard let id = models.names.id(of: name) else { throw OpenAIError.modelNotFound(name) }
        try await models.load(id)
        return try modelState(id)
    }

    /// Unloads the model once its running requests have ended; answers when it is out (`"status": "unloaded"`, or
    /// `loading` when new requests asked for it meanwhile).
    func unload(_ name: String, by admin: AdminKey) async throws -> Response {
        guard let id = models.names.id(of: name) else { throw OpenAIError.modelNotFound(name) }
        try await models.unload(id)
        return try modelState(id)
    }

    private func modelState(_ id: String) throws -> Response {
        try Self.json(["id": id, "object": "model", "status": models.availability(of: id)?.rawValue ?? "unloaded"])
    }

    private static func jsonObject(_ key: APIKey) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: TernStoreJSON.encoder.encode(key)) as? [String: Any] ?? [:]
    }

    private static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func openAIError(_ error: TernStoreError) -> OpenAIError {
        switch error.code {
        case .notFound: return OpenAIError(status: 404, message: error.message, type: "invalid_request_error", code: "key_not_found")
        case .duplicateName: return .invalidRequest(error.message, param: "name", code: "duplicate_name")
        case .invalidValue: return .invalidRequest(error.message)
        case .database: return .internalError()
        }
    }

    /// The body of `POST /admin/keys`.
    private struct KeyRequest: Decodable {
        var name: String?
        var admin: Bool?
        var models: [String]?
        var rpm: Int?
        var tpm: Int?
        var maxConcurrent: Int?
        var budgetTokens: Int?
        var budgetPeriod: String?
        var expiresAt: Date?

        enum CodingKeys: String, CodingKey {
            case name, admin, models, rpm, tpm
            case maxConcurrent = "max_concurrent"
            case budgetTokens = "budget_tokens"
            case budgetPeriod = "budget_period"
            case expiresAt = "expires_at"
        }

        static func decode(_ body: [UInt8]) throws -> NewAPIKey {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let request = try decoder.decode(KeyRequest.self, from: Data(body))
            var budget: TokenBudget?
            if let tokens = request.budgetTokens {
                let periodName = request.budgetPeriod ?? "month"
                guard let period = BudgetPeriod(rawValue: periodName) else {
                    throw OpenAIError.invalidValue("budget_period", value: periodName, supported: BudgetPeriod.allCases.map(\.rawValue))
                }
                budget = TokenBudget(tokens: tokens, period: period)
            }
            return NewAPIKey(
                name: request.name, isAdmin: request.admin ?? false, models: request.models,
                limits: KeyLimits(requestsPerMinute: request.rpm, tokensPerMinute: request.tpm, maxConcurrent: request.maxConcurrent),
                budget: budget, expiresAt: request.expiresAt)
        }
    }
}
