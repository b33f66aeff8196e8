import NIOCore
import TernOpenAI

/// The first handler of every client connection: registers it with the ``ConnectionRegistry`` as soon as it is
/// active, refuses it when the server is full and no connection is idle, and reports the client closing its side.
///
/// It sits before TLS, so it sees the connection whatever it speaks; it passes every byte on untouched.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let registry: ConnectionRegistry
    private let plainHTTP: Bool

    init(registry: ConnectionRegistry, plainHTTP: Bool) {
        self.registry = registry
        self.plainHTTP = plainHTTP
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        let registry = registry
        channel.closeFuture.whenComplete { _ in registry.remove(channel) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        guard !registry.admit(context.channel) else { return }
        // Full, and nothing idle to close: say so in plain HTTP/1.1 (the request has not even been read), or close.
        if plainHTTP {
            let body = ConnectionGuard.tooManyConnections(registry.maxConnections).jsonBody
            let head =
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
                + "Retry-After: 1\r\nConnection: close\r\n\r\n"
            var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + body.count)
            buffer.writeString(head)
            buffer.writeBytes(body)
            context.writeAndFlush(wrapInboundOut(buffer), promise: nil)
        }
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client closed its side: nobody will read an answer.
        if let event = event as? ChannelEvent, event == .inputClosed { registry.hungUp(context.channel) }
        context.fireUserInboundEventTriggered(event)
    }

    /// 503 for a connection that found the server full.
    static func tooManyConnections(_ limit: Int) -> OpenAIError {
        OpenAIError(
            status: 503, message: "The server has \(limit) open connections, its limit, and none is idle; retry shortly.", type: "server_error",
            code: "too_many_connections", retryAfterSeconds: 1)
    }
}
