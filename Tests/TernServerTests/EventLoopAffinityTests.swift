import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import TernServer

/// A request's task stays on its connection's event loop, and its upstream calls use a client on that loop.
@Suite struct EventLoopAffinityTests {
    @Test func aRequestsTaskResumesOnItsConnectionsLoop() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let onLoop = try await EventLoopTaskExecutor.preferring(loop) {
            var seen = [loop.inEventLoop]
            // Resumed by a thread of its own, as the ledger's writer and the compute threads resume requests.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                Thread { continuation.resume() }.start()
            }
            seen.append(loop.inEventLoop)
            try await Task.sleep(for: .milliseconds(1))
            seen.append(loop.inEventLoop)
            // A task started outside the request's structure (the ledger commit's) can prefer the same loop.
            seen.append(await Task(executorPreference: EventLoopTaskExecutor.current) { loop.inEventLoop }.value)
            return seen
        }
        #expect(onLoop == [true, true, true, true])
        #expect(EventLoopTaskExecutor.current == nil)
    }

    @Test func upstreamRequestsUseTheClientOfTheCurrentLoop() async throws {
        for loop in MultiThreadedEventLoopGroup.singleton.makeIterator() {
            let group = try await loop.submit { ObjectIdentifier(UpstreamClients.current.eventLoopGroup) }.get()
            #expect(group == ObjectIdentifier(loop))
        }
        let offLoops = ObjectIdentifier(UpstreamClients.current.eventLoopGroup)
        #expect(offLoops == ObjectIdentifier(MultiThreadedEventLoopGroup.singleton), "off the loops, a client on any loop")
    }
}
