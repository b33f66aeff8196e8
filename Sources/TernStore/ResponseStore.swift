public import Foundation
import Synchronization

/// A response of the Responses API kept for `GET /v1/responses/{id}` and `previous_response_id`.
public struct StoredResponse: Sendable, Equatable {
    /// `resp_…`.
    public var id: String
    /// The key that created it; only that key reads, continues or deletes it.
    public var keyID: String
    /// When it was made.
    public var createdAt: Date
    /// When it is forgotten.
    public var expiresAt: Date
    /// The response object's JSON text, as it was answered.
    public var body: String
    /// The conversation up to and including its answer, as JSON, for a response that continues it.
    public var conversation: String

    /// Creates a stored response.
    public init(id: String, keyID: String, createdAt: Date, expiresAt: Date, body: String, conversation: String) {
        self.id = id
        self.keyID = keyID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.body = body
        self.conversation = conversation
    }
}

/// Where stored responses live: per key, until they expire.
public protocol ResponseStore: Sendable {
    /// Keeps `response` (durably, for a database).
    func save(_ response: StoredResponse) async throws
    /// The response `id` of `keyID`, unless it has expired at `now`; nil when another key made it.
    func response(id: String, keyID: String, now: Date) async throws -> StoredResponse?
    /// Forgets the response `id` of `keyID`; false when there is none.
    func deleteResponse(id: String, keyID: String) async throws -> Bool
}

/// Stored responses in memory, for a server without a data folder (`--no-auth`): lost when it stops.
public final class InMemoryResponseStore: ResponseStore {
    private let responses = Mutex<[String: StoredResponse]>([:])

    /// An empty store.
    public init() {}

    public func save(_ response: StoredResponse) async throws {
        let now = Date()
        responses.withLock { stored in
            stored = stored.filter { $0.value.expiresAt > now }
            stored[response.id] = response
        }
    }

    public func response(id: String, keyID: String, now: Date) async throws -> StoredResponse? {
        responses.withLock { stored in
            guard let found = stored[id], found.keyID == keyID, found.expiresAt > now else { return nil }
            return found
        }
    }

    public func deleteResponse(id: String, keyID: String) async throws -> Bool {
        responses.withLock { stored in
            guard stored[id]?.keyID == keyID else { return false }
            stored[id] = nil
            return true
        }
    }
}
