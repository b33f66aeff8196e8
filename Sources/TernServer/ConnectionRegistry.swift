import NIOCore
import Synchronization

/// Every open client connection of the server, with its requests in flight, and every request channel's hang-up
/// signal (an HTTP/1 connection's, or an HTTP/2 stream's): what ``ConnectionGuard`` and ``ConnectionTracker`` see,
/// shared with the handlers.
///
/// - **A bound:** at most ``maxConnections`` connections (plain or TLS, HTTP/1.1 or HTTP/2). When a new one arrives
///   at the limit, an idle one is closed to make room: the one idle longest among those between requests, or one that
///   has sent no request for ``silentGrace`` since it opened. When none is idle the new one is refused
///   (``admit(_:)``).
/// - **Hang-ups:** a handler runs its work through ``whileConnected(_:_:)``, which cancels it when the client goes away
///   without reading the connection's request stream, so the connection stays usable for the next request.
final class ConnectionRegistry: Sendable {
    /// The most connections open at once.
    let maxConnections: Int
    /// How long a connection may stay without any request before it counts as idle.
    let silentGrace: TimeAmount

    private struct Connection {
        let channel: any Channel
        var inFlight = 0
        var served = 0
        /// When it last had nothing to do: when it opened, then when its last response ended.
        var idleSince = NIODeadline.now()
        var closing = false

        func isIdle(at now: NIODeadline, grace: TimeAmount) -> Bool {
            !closing && inFlight == 0 && (served > 0 || now - idleSince >= grace)
        }
    }

    private struct State {
        var connections: [ObjectIdentifier: Connection] = [:]
        /// Hang-up signals of request channels: a connection itself (HTTP/1) or one of its streams (HTTP/2).
        var hangUps: [ObjectIdentifier: HangUpSignal] = [:]
        /// Whether a channel has ever been registered: a server whose connections are tracked knows every open one.
        var tracking = false
    }

    private let state = Mutex(State())

    init(maxConnections: Int, silentGrace: TimeAmount = .seconds(5)) {
        precondition(maxConnections >= 1, "a server needs room for one connection")
        self.maxConnections = maxConnections
        self.silentGrace = silentGrace
    }

    /// Registers a new connection; false when it must be refused (the limit is reached and no connection is idle). At
    /// the limit, an idle connection is closed to make room.
    func admit(_ channel: any Channel) -> Bool {
        let now = NIODeadline.now()
        let (admitted, evicted): (Bool, (any Channel)?) = state.withLock { state in
            state.tracking = true
            let open = state.connections.values.count { !$0.closing }
            guard open >= maxConnections else {
                state.connections[ObjectIdentifier(channel)] = Connection(channel: channel)
                return (true, nil)
            }
            let idle = state.connections.filter { $0.value.isIdle(at: now, grace: silentGrace) }
            guard let (key, connection) = idle.min(by: { $0.value.idleSince < $1.value.idleSince }) else { return (false, nil) }
            state.connections[key]?.closing = true
            state.connections[ObjectIdentifier(channel)] = Connection(channel: channel)
            return (true, connection.channel)
        }
        evicted?.close(promise: nil)
        return admitted
    }

    /// Registers a channel that carries requests (an HTTP/1 connection, an HTTP/2 stream) for its hang-up signal.
    func addRequestChannel(_ channel: any Channel) {
        state.withLock {
            $0.tracking = true
            $0.hangUps[ObjectIdentifier(channel)] = HangUpSignal()
        }
    }

    /// The channel has closed: forgets it, and tells whoever waits on it.
    func remove(_ channel: any Channel) {
        let signal = state.withLock { state in
            state.connections[ObjectIdentifier(channel)] = nil
            return state.hangUps.removeValue(forKey: ObjectIdentifier(channel))
        }
        signal?.signal()
    }

    /// A request's head arrived on `connection`.
    func requestStarted(on connection: any Channel) {
        state.withLock { $0.connections[ObjectIdentifier(connection)]?.inFlight += 1 }
    }

    /// A response's last part went out on `connection`.
    func requestFinished(on connection: any Channel) {
        state.withLock { state in
            guard var entry = state.connections[ObjectIdentifier(connection)] else { return }
            entry.inFlight = max(0, entry.inFlight - 1)
            entry.served += 1
            if entry.inFlight == 0 { entry.idleSince = .now() }
            state.connections[ObjectIdentifier(connection)] = entry
        }
    }

    /// The client of `channel` went away (closed its side, or the connection is gone).
    func hungUp(_ channel: any Channel) {
        state.withLock { $0.hangUps[ObjectIdentifier(channel)] }?.signal()
    }

    /// What to watch for the client of `channel` hanging up.
    func hangUp(of channel: any Channel) -> HangUpWatch {
        state.withLock { state in
            if let signal = state.hangUps[ObjectIdentifier(channel)] { return .signal(signal) }
            // Every open channel of a tracked server is known (it is registered before a request can arrive), so an
            // unknown one has closed; an untracked server (a test's in-memory channel) cannot be watched.
            return state.tracking ? .gone : .unwatched
        }
    }

    /// What to watch for a hang-up.
    enum HangUpWatch {
        case signal(HangUpSignal)
        /// The channel has closed already.
        case gone
        /// The channel is not one the registry follows.
        case unwatched
    }

    /// Open connections, for tests and logs.
    var openConnections: Int {
        state.withLock { $0.connections.values.count { !$0.closing } }
    }
}
