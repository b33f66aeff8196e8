import NIOCore
import NIOEmbedded
import Testing

@testable import TernServer

/// The registry's decisions without sockets: admission at the limit, and hang-ups cancelling work.
@Suite struct ConnectionRegistryTests {
    @Test func atTheLimitTheConnectionIdleLongestMakesRoom() {
        let registry = ConnectionRegistry(maxConnections: 2, silentGrace: .hours(1))
        let (first, second, third, fourth) = (EmbeddedChannel(), EmbeddedChannel(), EmbeddedChannel(), EmbeddedChannel())
        #expect(registry.admit(first) && registry.admit(second))
        // Neither has served a request yet (and the grace period is long): nothing is idle.
        #expect(!registry.admit(third))
        for channel in [first, second] {
            registry.requestStarted(on: channel)
            registry.requestFinished(on: channel)
        }
        registry.requestStarted(on: second)  // busy again
        #expect(registry.admit(fourth))
        #expect(registry.openConnections == 2)
        // The first was closed for the fourth; the second is busy and the fourth has sent nothing yet.
        #expect(!registry.admit(EmbeddedChannel()))
    }

    @Test func aHangUpCancelsTheWorkAndAGoneChannelRunsNothing() async throws {
        let registry = ConnectionRegistry(maxConnections: 4)
        let channel = EmbeddedChannel()
        registry.addRequestChannel(channel)
        let started = AsyncStream<Void>.makeStream()
        async let outcome: Bool = {
            do {
                _ = try await registry.whileConnected(channel) {
                    started.continuation.finish()
                    try await Task.sleep(for: .seconds(60))
                    return 0
                }
                return false
            } catch {
                return error is CancellationError
            }
        }()
        for await _ in started.stream {}
        registry.hungUp(channel)
        #expect(await outcome)
        // Once the channel is gone, work for it does not even start.
        registry.remove(channel)
        await #expect(throws: CancellationError.self) {
            try await registry.whileConnected(channel) {
                Issue.record("ran for a channel that had closed")
                return 0
            }
        }
        // A registry that tracks nothing (an in-memory test channel) runs the work unwatched.
        #expect(try await ConnectionRegistry(maxConnections: 1).whileConnected(EmbeddedChannel()) { 7 } == 7)
    }
}
