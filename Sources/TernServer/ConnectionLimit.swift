import HummingbirdCore

/// The listener's gate: it accepts one connection beyond the limit, so that a client waiting to connect is noticed
/// (``ConnectionRegistry/admit(_:)`` then closes an idle connection for it, or refuses it), and no more, so that the
/// process never holds more than `maxConnections + 1` client sockets.
struct ConnectionLimit: AvailableConnectionsDelegate {
    let maxConnections: Int
    private var open = 0

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    mutating func connectionOpened() { open += 1 }
    mutating func connectionClosed() { open -= 1 }
    func isAcceptingNewConnections() -> Bool { open <= maxConnections }
}
