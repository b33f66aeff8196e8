import NIOCore

extension ConnectionRegistry {
    /// Runs `operation`, cancelling it when the client of `channel` hangs up (or has already), so that a request
    /// nobody waits for any more stops generating, and frees its place in the queue, at once.
    ///
    /// Unlike reading the request stream for its end, this leaves the connection usable for the client's next
    /// request. `operation` may capture `inout` state (a response body writer), as it never outlives this call.
    func whileConnected<Value: Sendable>(_ channel: any Channel, _ operation: () async throws -> Value) async throws -> Value {
        let signal: HangUpSignal
        switch hangUp(of: channel) {
        case .signal(let found): signal = found
        case .gone: throw CancellationError()
        case .unwatched: return try await operation()
        }
        let (hangUp, continuation) = AsyncStream<Never>.makeStream()
        let token = signal.wait { continuation.finish() }
        defer {
            if let token { signal.remove(token) }
            continuation.finish()
        }
        return try await withoutActuallyEscaping(operation) { operation in
            // The task group ends before this closure returns, so the operation does not outlive its captures.
            let work = UncheckedSendable(operation)
            return try await withThrowingTaskGroup(of: Value?.self) { group in
                group.addTask {
                    for await _ in hangUp {}
                    return nil
                }
                group.addTask { try await work.value() }
                defer { group.cancelAll() }
                guard case let value?? = try await group.next() else { throw CancellationError() }
                return value
            }
        }
    }
}

/// A value passed to a child task that ends before the value's scope does (see
/// ``ConnectionRegistry/whileConnected(_:_:)``).
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
