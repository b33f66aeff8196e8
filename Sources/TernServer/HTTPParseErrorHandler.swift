import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import TernOpenAI

/// Answers a request that is not valid HTTP/1.1 with 400 in OpenAI's error envelope (431 for a head over the header
/// limits), then closes the connection. Without it the client would get an empty 400.
///
/// Sits first after the HTTP/1 codec, where the decoder's errors pass on their way to the application. Requests may
/// be pipelined, so the handler counts those whose response is not finished. A parse error while a request's body is
/// still arriving belongs to that request: passed on for the body reader to answer (or, when its response has gone
/// out already, the connection just closes). Any other error belongs to a new request and is answered once the
/// responses before it are out.
final class HTTPParseErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The decoder's limits on one request head, for the 431 message: bytes of header fields, and fields.
    private let headerBytes: Int
    private let headerFields: Int
    /// Requests whose head has arrived and whose response is not finished.
    private var openRequests = 0
    /// Whether the last request's body has fully arrived.
    private var bodyComplete = true
    /// The error of a request after the open ones, answered once their responses are out.
    private var pending: HTTPParserError?
    /// Close once the open requests are answered: a body failed to parse, so the stream cannot go on.
    private var closeWhenAnswered = false
    private var done = false

    init(headerBytes: Int, headerFields: Int) {
        self.headerBytes = headerBytes
        self.headerFields = headerFields
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            openRequests += 1
            bodyComplete = false
        case .body: break
        case .end: bodyComplete = true
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        guard case .end = unwrapOutboundIn(data) else { return }
        openRequests = max(0, openRequests - 1)
        guard openRequests == 0 else { return }
        if let pending {
            self.pending = nil
            answer(pending, context: context)
        } else if closeWhenAnswered {
            // Before Hummingbird reads on and answers the error a second time.
            done = true
            context.flush()
            context.closeAfterLinger()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // After the answer the decoder only reports that more data came in its error state.
        guard !done, pending == nil else { return }
        guard let parserError = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        if !bodyComplete {
            if openRequests > 0 {
                closeWhenAnswered = true
                context.fireErrorCaught(error)
            } else {
                done = true
                context.closeAfterLinger()
            }
        } else if openRequests > 0 {
            pending = parserError
        } else {
            answer(parserError, context: context)
        }
    }

    private func answer(_ error: HTTPParserError, context: ChannelHandlerContext) {
        done = true
        context.writeErrorAndClose(
            error == .headerOverflow
                ? .headerFieldsTooLarge(bytes: headerBytes, fields: headerFields)
                : .invalidRequest("The request is not valid HTTP/1.1 (\(error)).", code: "malformed_request"))
    }
}
