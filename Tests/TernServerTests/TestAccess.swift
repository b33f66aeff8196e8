import Foundation
import TernServer
import TernStore

/// Access control over a store in a fresh temporary folder, for the tests of keys, limits and the ledger.
struct TestAccess {
    let store: SQLiteStore
    let control: AccessControl
    let directory: String

    /// Runs `body` with a new store (closed and deleted afterwards) and the server defaults `defaults`.
    static func with<Value>(
        defaults: KeyLimits = KeyLimits(requestsPerMinute: 1000, tokensPerMinute: 1_000_000), _ body: (TestAccess) async throws -> Value
    ) async throws -> Value {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-access-\(UUID().uuidString)").path
        let store = try await SQLiteStore.open(directory: directory)
        let access = TestAccess(store: store, control: AccessControl(store: store, defaultLimits: defaults), directory: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let value = try await body(access)
            try await store.close()
            return value
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// A new key's secret.
    func key(_ new: NewAPIKey = NewAPIKey()) async throws -> String {
        try await store.create(new).secret.value
    }

    /// The ledger's totals of the key named `name`.
    func usage(of name: String) async throws -> KeyUsage? {
        try await store.usage(since: nil).first { $0.name == name }
    }

    /// The ledger's totals of the key named `name` once it holds `requests` rows (or after four seconds): rows are
    /// written as requests wind down, so a test that has just hung up polls.
    func usage(of name: String, once requests: Int) async throws -> KeyUsage? {
        var usage = try await usage(of: name)
        for _ in 0..<400 where usage?.requests != requests {
            try await Task.sleep(for: .milliseconds(10))
            usage = try await self.usage(of: name)
        }
        return usage
    }
}
