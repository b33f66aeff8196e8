import Testing

@testable import TernServer

@Suite struct EventStreamSplitterTests {
    /// Events come out whole however the bytes were cut, with LF or CRLF line ends.
    @Test func eventsComeOutWholeWhateverTheCuts() {
        let stream = Array("data: {\"a\":1}\n\n: keep-alive\n\ndata: {\"b\":\r\ndata: 2}\r\n\r\ndata: [DONE]\n\n".utf8)
        for cut in 1..<stream.count {
            var splitter = EventStreamSplitter()
            var events = splitter.feed(stream[..<cut])
            events += splitter.feed(stream[cut...])
            #expect(events.count == 4, "cut at \(cut)")
            #expect(
                events.map { EventStreamSplitter.data(of: $0).map { String(decoding: $0, as: UTF8.self) } } == [
                    #"{"a":1}"#, nil, "{\"b\":\n2}", "[DONE]",
                ])
            #expect(splitter.finish().isEmpty)
        }
    }

    @Test func anUnfinishedEventIsKeptForFinish() {
        var splitter = EventStreamSplitter()
        #expect(splitter.feed(Array("data: {\"a\":1}\n\ndata: {\"b\"".utf8)).count == 1)
        #expect(String(decoding: splitter.finish(), as: UTF8.self) == "data: {\"b\"")
    }
}
