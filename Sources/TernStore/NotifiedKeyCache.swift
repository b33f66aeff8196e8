import PostgresNIO
import Synchronization

/// The keys a replica has looked up, kept in memory while a connection of its own listens on PostgreSQL's
/// `tern_keys` channel, where every creation and revocation is announced (`pg_notify`): an announcement empties the
/// cache, so a key revoked on any replica stops working on all of them once the notice arrives (milliseconds).
/// While the listening connection is down, nothing is cached and every lookup reads the database.
final class NotifiedKeyCache: Sendable {
    private struct State {
        var listening = false
        /// Counts announcements and reconnections: a key read under an older generation is not kept.
        var generation = 0
        var keys: [String: APIKey] = [:]

        mutating func forget() {
            generation += 1
            keys = [:]
        }
    }

    private final class Board: Sendable {
        let state = Mutex(State())
    }

    /// The channel creations and revocations are announced on.
    static let channel = "tern_keys"

    private let board = Board()
    private let listener: Task<Void, Never>

    /// A cache that listens through connections made with `connect`, trying again a second after one is lost.
    init(connect: @escaping @Sendable () async throws -> PostgresConnection) {
        let board = board
        listener = Task {
            while !Task.isCancelled {
                do {
                    let connection = try await connect()
                    do {
                        try await connection.listen(on: Self.channel) { notices in
                            board.state.withLock {
                                $0.forget()
                                $0.listening = true
                            }
                            for try await _ in notices { board.state.withLock { $0.forget() } }
                        }
                    } catch {}
                    try? await connection.close()
                } catch {}
                board.state.withLock {
                    $0.forget()
                    $0.listening = false
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    deinit { listener.cancel() }

    /// Stops listening.
    func close() {
        listener.cancel()
    }

    /// The generation to pass to ``remember(_:hash:generation:)`` after reading the database, and the cached key of
    /// `hash` if there is one; nil generation while not listening (nothing may be kept).
    func lookup(hash: String) -> (key: APIKey?, generation: Int?) {
        board.state.withLock { state in
            guard state.listening else { return (nil, nil) }
            return (state.keys[hash], state.generation)
        }
    }

    /// Keeps `key`, read from the database under `generation`, unless an announcement came meanwhile.
    func remember(_ key: APIKey, hash: String, generation: Int?) {
        guard let generation else { return }
        board.state.withLock { state in
            guard state.listening, state.generation == generation else { return }
            if state.keys.count >= KeyCache.capacity { state.keys = [:] }
            state.keys[hash] = key
        }
    }

    /// Forgets every key at once (this replica changed one; the announcement follows for the others).
    func forget() {
        board.state.withLock { $0.forget() }
    }
}
