import HTTPTypes
import NIOCore
import NIOHTTPTypes
import NIOHTTPTypesHTTP2

/// Reports one request channel (an HTTP/1 connection, or an HTTP/2 stream) to the ``ConnectionRegistry``: the requests
/// in flight on its connection, and its client going away.
///
/// Sits last among the channel's HTTP handlers, next to the application, where request and response parts pass.
final class ConnectionTracker: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let registry: ConnectionRegistry
    /// The connection the requests count against: the channel itself, or an HTTP/2 stream's parent.
    private var connection: (any Channel)?

    init(registry: ConnectionRegistry) {
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        // Only an HTTP/2 stream's pipeline has the frame-to-HTTP codec.
        let isStream = (try? context.pipeline.syncOperations.context(handlerType: HTTP2FramePayloadToHTTPServerCodec.self)) != nil
        connection = isStream ? channel.parent : channel
        registry.addRequestChannel(channel)
        let registry = registry
        channel.closeFuture.whenComplete { _ in registry.remove(channel) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data), let connection { registry.requestStarted(on: connection) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), let connection { registry.requestFinished(on: connection) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // An HTTP/2 stream reset by the client, or the connection gone.
        registry.hungUp(context.channel)
        context.fireChannelInactive()
    }
}
