import Foundation
import TernStore

/// A store in a fresh temporary folder, closed and deleted after `body`.
func withTemporaryStore<Value>(_ body: (SQLiteStore, String) async throws -> Value) async throws -> Value {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-store-\(UUID().uuidString)").path
    let store = try await SQLiteStore.open(directory: directory)
    do {
        let value = try await body(store, directory)
        try await store.close()
        try? FileManager.default.removeItem(atPath: directory)
        return value
    } catch {
        try? await store.close()
        try? FileManager.default.removeItem(atPath: directory)
        throw error
    }
}
