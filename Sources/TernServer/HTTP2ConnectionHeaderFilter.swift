import HTTPTypes
import NIOCore
import NIOHTTPTypes
import NIOHTTPTypesHTTP2

/// Drops `Connection` from responses sent on an HTTP/2 stream, where the header is forbidden (RFC 9113 §8.2.2) and
/// would reset the stream; on HTTP/1.1 the header passes through.
///
/// Answers sent before a body was read (413, 408) carry `Connection: close`; on HTTP/2 a request is a stream of its
/// own, and ending the stream is all it takes.
final class HTTP2ConnectionHeaderFilter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var isHTTP2Stream = false

    func handlerAdded(context: ChannelHandlerContext) {
        // Only an HTTP/2 stream's pipeline has the frame-to-HTTP codec.
        isHTTP2Stream = (try? context.pipeline.syncOperations.context(handlerType: HTTP2FramePayloadToHTTPServerCodec.self)) != nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard isHTTP2Stream, case .head(var head) = unwrapOutboundIn(data), head.headerFields[.connection] != nil else {
            context.write(data, promise: promise)
            return
        }
        head.headerFields[.connection] = nil
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }
}
