import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Ends the connection after a response that says `Connection: close` (a 413 or 408 sent before the body was read):
/// the server's side once the response is out, the whole connection shortly after unless the client closes first.
///
/// Hummingbird honours `Connection: close` only on requests; without this the connection would wait, unread, for the
/// idle timeout. Half-closing rather than closing lets a client that is still sending read the answer.
final class CloseAfterResponseHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var closeAfterEnd = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        if case .head(let head) = part { closeAfterEnd = head.headerFields[.connection]?.lowercased().contains("close") ?? false }
        context.write(data, promise: promise)
        guard case .end = part, closeAfterEnd else { return }
        context.flush()
        context.closeAfterLinger()
    }
}
