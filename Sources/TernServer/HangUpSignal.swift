import Synchronization

/// Fires once, when a client hangs up; work that should stop then waits on it (see
/// ``ConnectionRegistry/whileConnected(_:_:)``).
final class HangUpSignal: Sendable {
    private struct State {
        var fired = false
        var nextToken = 0
        var waiters: [Int: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())

    /// Calls every waiter, once; later waiters are called as they arrive.
    func signal() {
        let waiters: [@Sendable () -> Void] = state.withLock { state in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter() }
    }

    /// Calls `waiter` on a hang-up (at once if there was one); the token takes it back (``remove(_:)``).
    func wait(_ waiter: @escaping @Sendable () -> Void) -> Int? {
        let token: Int? = state.withLock { state in
            guard !state.fired else { return nil }
            state.nextToken += 1
            state.waiters[state.nextToken] = waiter
            return state.nextToken
        }
        if token == nil { waiter() }
        return token
    }

    /// Takes back a waiter that is no longer needed.
    func remove(_ token: Int) {
        _ = state.withLock { $0.waiters.removeValue(forKey: token) }
    }
}
