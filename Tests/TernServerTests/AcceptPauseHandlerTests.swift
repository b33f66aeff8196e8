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

/// The listener's pause on an embedded channel: which accepts (`read`s) go through, when reading is turned off and on.
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

    /// A channel with a counter at its head and the handler after it, active as a bound listener is.
    private static func listener(shortage: @escaping () -> String?, reasons: NIOLockedValueBox<[String]>) throws
        -> (EmbeddedChannel, ReadCounter)
    {
        let counter = ReadCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(
            AcceptPauseHandler(delay: .milliseconds(250), shortage: shortage) { reason in reasons.withLockedValue { $0.append(reason) } })
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        return (channel, counter)
    }

    /// The last value the handler gave the channel's autoRead option (true when it never set one).
    private static func autoRead(_ channel: EmbeddedChannel) -> Bool {
        channel.options.last { $0.option is ChannelOptions.Types.AutoReadOption }?.value as? Bool ?? true
    }

    @Test func nearTheLimitReadsAreHeldUntilThereIsRoom() throws {
        let short = NIOLockedValueBox(false)
        let reasons = NIOLockedValueBox<[String]>([])
        let (channel, counter) = try Self.listener(shortage: { short.withLockedValue { $0 } ? "nearly out" : nil }, reasons: reasons)
        channel.read()
        #expect(counter.reads == 1)
        short.withLockedValue { $0 = true }
        channel.read()
        channel.read()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(250))
        #expect(counter.reads == 1)
        short.withLockedValue { $0 = false }
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(249))
        #expect(counter.reads == 1)
        // The held read goes through at the next try, once; reading was never turned off.
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(counter.reads == 2)
        #expect(Self.autoRead(channel))
        #expect(reasons.withLockedValue { $0 } == ["nearly out"])
        _ = try? channel.finish()
    }

    @Test func aFailedAcceptTurnsReadingOffUntilTheDelayIsOver() throws {
        let short = NIOLockedValueBox(false)
        let reasons = NIOLockedValueBox<[String]>([])
        let (channel, counter) = try Self.listener(shortage: { short.withLockedValue { $0 } ? "nearly out" : nil }, reasons: reasons)
        // NIO sends no read after a failed accept (its read stays pending): only reading turned off stops the retries.
        channel.pipeline.fireErrorCaught(IOError(errnoCode: EMFILE, reason: "accept"))
        #expect(!Self.autoRead(channel))
        // Handled here: not passed on to be logged for every failed accept, or backed off from again.
        #expect(throws: Never.self) { try channel.throwIfErrorCaught() }
        #expect(reasons.withLockedValue { $0.count == 1 && $0[0].contains("out of file descriptors") })
        // Still short of descriptors at the first try: it waits again.
        short.withLockedValue { $0 = true }
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(250))
        #expect(!Self.autoRead(channel))
        short.withLockedValue { $0 = false }
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(250))
        #expect(Self.autoRead(channel))
        #expect(counter.reads == 0)
        // Another failure within the minute pauses again without being reported again.
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ENFILE, reason: "accept"))
        #expect(!Self.autoRead(channel))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(250))
        #expect(Self.autoRead(channel))
        #expect(reasons.withLockedValue { $0.count } == 1)
        // A client that reset before it was accepted pauses nothing.
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNABORTED, reason: "accept"))
        #expect(throws: IOError.self) { try channel.throwIfErrorCaught() }
        #expect(Self.autoRead(channel))
        channel.read()
        #expect(counter.reads == 1)
        _ = try? channel.finish()
    }
}
