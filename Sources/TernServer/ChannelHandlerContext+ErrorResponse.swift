import HTTPTypes
import NIOCore
import NIOHTTPTypes
import TernOpenAI

extension ChannelHandlerContext {
    /// Answers `error` in OpenAI's envelope from inside the pipeline (no request reached the application), then ends
    /// the connection (``closeAfterLinger(_:)``).
    func writeErrorAndClose(_ error: OpenAIError) {
        let body = error.jsonBody
        var fields: HTTPFields = [.contentType: "application/json", .contentLength: "\(body.count)", .connection: "close"]
        if let seconds = error.retryAfterSeconds { fields[.retryAfter] = "\(seconds)" }
        let head = HTTPResponse(status: HTTPResponse.Status(code: error.status), headerFields: fields)
        write(NIOAny(HTTPResponsePart.head(head)), promise: nil)
        write(NIOAny(HTTPResponsePart.body(channel.allocator.buffer(bytes: body))), promise: nil)
        writeAndFlush(NIOAny(HTTPResponsePart.end(nil)), promise: nil)
        closeAfterLinger()
    }

    /// Ends the connection: the server's side at once (after what was written), and the whole of it after `linger`
    /// unless the client closes first. Half-closing first lets a client that is still sending read the answer.
    func closeAfterLinger(_ linger: TimeAmount = .seconds(2)) {
        close(mode: .output, promise: nil)
        let channel = channel
        channel.eventLoop.scheduleTask(in: linger) { channel.close(promise: nil) }
    }
}
