import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import TernServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The listener's pause on an embedded channel: which accepts (`read`s) go through, and when.
@Suite struct AcceptPauseHandlerTests {
    /// Counts the reads that reach the head of the pipeline, where the listener would accept.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = Never
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    @Test func anAcceptThatFindsNoDescriptorHoldsTheNextOneForTheDelay() throws {
        let reasons = NIOLockedValueBox<[String]>([])
        let counter = ReadCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(
            AcceptPauseHandler(delay: .milliseconds(250)) { reason in reasons.withLockedValue { $0.append(reason) } })
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()  // active, as a bound listener
        channel.read()
        #expect(counter.reads == 1)
        channel.pipeline.fireErrorCaught(IOError(errnoCode: EMFILE, reason: "accept"))
        channel.read()
        channel.read()
        #expect(counter.reads == 1)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(249))
        #expect(counter.reads == 1)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(counter.reads == 2)
        #expect(reasons.withLockedValue { $0.count } == 1)
        #expect(reasons.withLockedValue { $0.first?.contains("out of file descriptors") } == true)
        // Another error a moment later pauses again but is not reported again within the minute.
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ENFILE, reason: "accept"))
        channel.read()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(250))
        #expect(counter.reads == 3)
        #expect(reasons.withLockedValue { $0.count } == 1)
        // Other errors (a client that reset before it was accepted) do not pause.
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNABORTED, reason: "accept"))
        channel.read()
        #expect(counter.reads == 4)
        _ = try? channel.finish()
    }
}
