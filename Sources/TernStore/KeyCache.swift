import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The keys a server has looked up, kept in memory so that a request needs no database query for its key, and
/// forgotten as soon as any process creates or revokes a key in the same database.
///
/// Every writer of keys writes a new random token into a small file beside the database (``noteChange()``); a lookup
/// reads that token (one `pread` of 16 bytes, no thread hop) and empties the cache when it differs from the token the
/// cache was filled under. A revocation by `tern keys revoke` thus takes effect from the server's next request.
final class KeyCache: Sendable {
    private struct State {
        var token: [UInt8] = []
        var keys: [String: APIKey] = [:]
    }

    /// The most keys kept; past it the cache starts again (it only saves a query).
    static let capacity = 10_000

    private let descriptor: Int32
    private let state = Mutex(State())

    /// A cache whose token lives in `path` (created readable by its owner only).
    init(tokenPath path: String) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw TernStoreError(.database, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    /// The token now: what the last writer of keys wrote.
    func currentToken() -> [UInt8] {
        var token = [UInt8](repeating: 0, count: 16)
        let count = token.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 16, 0) }
        return Array(token.prefix(max(0, count)))
    }

    /// The cached key of `hash` when the cache is current; `token` is ``currentToken()``, read by the caller before it
    /// queries the database on a miss.
    func key(hash: String, token: [UInt8]) -> APIKey? {
        state.withLock { state in
            guard state.token == token else {
                state = State(token: token, keys: [:])
                return nil
            }
            return state.keys[hash]
        }
    }

    /// Keeps `key`, read from the database after `token` was read: if keys changed meanwhile, the next lookup reads a
    /// newer token and starts again.
    func remember(_ key: APIKey, hash: String, token: [UInt8]) {
        state.withLock { state in
            guard state.token == token else { return }
            if state.keys.count >= Self.capacity { state.keys = [:] }
            state.keys[hash] = key
        }
    }

    /// Tells every process's cache that keys changed (call after the change is committed); throws when the token
    /// cannot be written, since other processes would then go on accepting a revoked key.
    func noteChange() throws {
        state.withLock { $0 = State() }
        var token = [UInt8](repeating: 0, count: 16)
        for index in token.indices { token[index] = UInt8.random(in: 0...255) }
        let written = token.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, 16, 0) }
        guard written == 16 else {
            throw TernStoreError(
                .database, "keys changed, but running servers could not be told (\(String(cString: strerror(errno)))); restart them")
        }
    }
}
