import HummingbirdCore
import Logging
import NIOCore

/// A server's child channel setup (HTTP/1, or TLS with HTTP/2) with a ``ConnectionGuard`` first in every
/// connection's pipeline, so that the connection counts against the limit from the moment it is accepted: before a
/// TLS handshake, whatever protocol it then speaks.
struct GuardedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let registry: ConnectionRegistry
    /// Whether the connection speaks plain HTTP/1 (so that a refusal can be answered in it) rather than TLS.
    let plainHTTP: Bool

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let guardHandler = ConnectionGuard(registry: registry, plainHTTP: plainHTTP)
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(guardHandler, position: .first)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
