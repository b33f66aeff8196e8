import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
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

    /// A short body is decoded on the request's loop; a long one (past RequestBodyReader.inlineBytes) on a thread of its
    /// own, so that the loop's other connections need not wait for it.
    @Test func aLongBodyIsDecodedOffItsLoop() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let reader = RequestBodyReader(maxBytes: 1 << 20)
        func decodedOnLoop(_ size: Int) async throws -> Bool {
            let json = Array("[\"\(String(repeating: "a", count: size))\"]".utf8)
            return try await EventLoopTaskExecutor.preferring(loop) {
                var request = Request(
                    head: HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/v1/chat/completions"),
                    body: RequestBody(buffer: ByteBuffer(bytes: json)))
                let (onLoop, bytes) = try await reader.decode(&request) { _ in MultiThreadedEventLoopGroup.currentEventLoop != nil }
                #expect(bytes == json.count)
                return onLoop
            }
        }
        #expect(try await decodedOnLoop(100))
        #expect(try await !decodedOnLoop(RequestBodyReader.inlineBytes))
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
