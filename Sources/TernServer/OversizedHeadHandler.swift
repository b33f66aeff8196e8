import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import TernOpenAI

/// Answers a request head over the header limit with `431` in OpenAI's error envelope, then closes the connection.
///
/// NIO's decoder stops at the limit with `HTTPParserError.headerOverflow`; without this handler the connection would be
/// answered with an empty `400`. Sits after the HTTP/1 codec, where the error passes on its way to the application.
final class OversizedHeadHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    /// The decoder's limits on one request head, for the message: bytes of header fields, and fields.
    private let bytes: Int
    private let fields: Int
    private var answered = false

    init(bytes: Int, fields: Int) {
        self.bytes = bytes
        self.fields = fields
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
            context.fireErrorCaught(error)
            return
        }
        guard !answered else { return }
        answered = true
        let body = OpenAIError.headerFieldsTooLarge(bytes: bytes, fields: fields).jsonBody
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.contentLength] = "\(body.count)"
        fields[.connection] = "close"
        let head = HTTPResponse(status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large"), headerFields: fields)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
