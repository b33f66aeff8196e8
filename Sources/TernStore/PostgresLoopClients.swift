import NIOCore
import NIOPosix
import PostgresNIO

/// PostgreSQL clients for the statements of requests (the limiter's calls, the ledger's inserts), one per event loop
/// of NIO's shared group.
///
/// A statement sent from a task running on a loop goes out and comes back on a connection of that loop, without
/// waking the other loop twice on the way; a server that runs its requests' tasks on their connections' loops (as
/// `tern serve` does) keeps each request on one thread. Off the loops, the store's main client.
final class PostgresLoopClients: Sendable {
    private let byLoop: [ObjectIdentifier: PostgresClient]
    private let fallback: PostgresClient

    /// Clients that open at most `connections` between them, whatever the number of loops: with more loops than
    /// connections, the loops past them use `fallback`.
    init(configuration: PostgresClient.Configuration, connections: Int, fallback: PostgresClient) {
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator().prefix(connections))
        var each = configuration
        each.options.maximumConnections = max(1, connections / max(1, loops.count))
        byLoop = Dictionary(
            uniqueKeysWithValues: loops.map { loop in (ObjectIdentifier(loop), PostgresClient(configuration: each, eventLoopGroup: loop)) })
        self.fallback = fallback
    }

    /// The client of the current thread's loop.
    var current: PostgresClient {
        MultiThreadedEventLoopGroup.currentEventLoop.flatMap { byLoop[ObjectIdentifier($0)] } ?? fallback
    }

    /// Runs every client's pool until the task is cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            for client in byLoop.values { group.addTask { await client.run() } }
        }
    }
}
