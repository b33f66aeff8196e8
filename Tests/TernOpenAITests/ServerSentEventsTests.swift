import Foundation
import Testing

@testable import TernOpenAI

@Suite struct ServerSentEventsTests {
    func string(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func framesDataDoneAndKeepAlive() {
        #expect(string(ServerSentEvents.data(#"{"a":1}"#)) == "data: {\"a\":1}\n\n")
        #expect(string(ServerSentEvents.done) == "data: [DONE]\n\n")
        #expect(string(ServerSentEvents.keepAlive) == ": keep-alive\n\n")
        #expect(string(ServerSentEvents.comment("a\nb")) == ": a b\n\n")
        #expect(string(ServerSentEvents.data("x\ny\r\nz")) == "data: x\ndata: y\ndata: z\n\n")
    }

    @Test func framesEncodableChunksAndErrors() throws {
        let event = ServerSentEvents.event(Model(id: "m", created: 1))
        #expect(string(event).hasPrefix("data: {"))
        #expect(string(event).hasSuffix("}\n\n"))
        var parser = ServerSentEventParser()
        let parsed = parser.feed(event)
        #expect(parsed.count == 1)
        let object = try #require(try foundationJSON(Data(parsed[0].data.utf8)) as? [String: Any])
        #expect(object["object"] as? String == "model")
        let error = string(ServerSentEvents.error(.overloaded()))
        #expect(error.hasPrefix("data: {\"error\":{"))
    }

    @Test func parsesAStreamSplitAtEveryByte() {
        let stream =
            ServerSentEvents.keepAlive + ServerSentEvents.data(#"{"n":1}"#) + ServerSentEvents.data("multi\nline") + ServerSentEvents.done
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for byte in stream { events += parser.feed([byte]) }
        #expect(events.map(\.data) == [#"{"n":1}"#, "multi\nline", "[DONE]"])
        #expect(parser.commentCount == 1)
    }

    @Test func handlesFieldsLineEndingsAndBOM() {
        var parser = ServerSentEventParser()
        let text = "\u{FEFF}event: update\r\nid: 7\r\nretry: 1500\rdata:no-space\n\ndata\n\nevent: empty\n\n: comment\ndata: tail"
        var events = parser.feed(Array(text.utf8))
        #expect(
            events == [
                ServerSentEvent(event: "update", data: "no-space", id: "7", retry: 1500),
                ServerSentEvent(data: "", id: "7"),
            ])
        // "data: tail" has no blank line yet; more bytes complete it.
        events = parser.feed(Array("\n\n".utf8))
        #expect(events == [ServerSentEvent(data: "tail", id: "7")])
    }

    @Test func crlfSplitAcrossFeedsIsOneLineEnd() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("data: a\r".utf8)).isEmpty)
        #expect(parser.feed(Array("\ndata: b\r".utf8)).isEmpty)
        #expect(parser.feed(Array("\n\r\n".utf8)) == [ServerSentEvent(data: "a\nb")])
    }

    @Test func finishDropsAnIncompleteEvent() {
        var parser = ServerSentEventParser()
        _ = parser.feed(Array("data: partial\n".utf8))
        parser.finish()
        #expect(parser.feed(Array("\n".utf8)).isEmpty)
    }
}
