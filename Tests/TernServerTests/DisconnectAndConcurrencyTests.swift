import Foundation
import Hummingbird
import HummingbirdTesting
import TernServer
import Testing

extension ServerTests {
    /// Clients that hang up free the engine; many clients at once all get answers.
    @Suite struct DisconnectAndConcurrencyTests {
        @Test func hangingUpMidStreamCancelsTheSequence() async throws {
            let server = try TestServer.make()
            try await TestServer.test(server, .live) { client in
                let port = try #require(client.port)
                let connection = try RawConnection(port: port)
                connection.sendPost(
                    path: "/v1/chat/completions",
                    json: TestServer.longStory(stream: true))
                // The role chunk and at least two content chunks have arrived: the sequence is generating.
                let received = connection.receive { $0.components(separatedBy: "data: ").count > 3 }
                #expect(received.hasPrefix("HTTP/1.1 200"))
                let scheduler = try #require(server.models.scheduler(of: TestServer.modelID))
                #expect(scheduler.load == 1)
                connection.close()
                #expect(try await Self.waitForIdle(server), "the sequence kept running after the client hung up")
                // Still serving.
                #expect(try await client.chat(#""max_tokens": 1"#).status == .ok)
            }
        }

        /// A streamed request still waiting in the queue writes nothing that could fail; its hang-up must free its place
        /// at once all the same, not at the next keep-alive (a minute here) or when it would start.
        @Test func hangingUpWhileQueuedFreesThePlace() async throws {
            let server = try TestServer.make(keepAlive: .seconds(60), maxSequences: 1, maxQueue: 1)
            try await TestServer.test(server, .live) { client in
                let port = try #require(client.port)
                let story = TestServer.longStory(stream: true)
                let running = try RawConnection(port: port)
                running.sendPost(path: "/v1/chat/completions", json: story)
                _ = running.receive { $0.components(separatedBy: "data: ").count > 3 }
                let queued = try RawConnection(port: port)
                queued.sendPost(path: "/v1/chat/completions", json: story)
                // Its role chunk: the response has started, the sequence waits for the running one.
                _ = queued.receive { $0.contains("data: ") }
                let scheduler = try #require(server.models.scheduler(of: TestServer.modelID))
                #expect(scheduler.load == 2)
                queued.close()
                for _ in 0..<4000 where scheduler.load > 1 { try await Task.sleep(for: .milliseconds(5)) }
                #expect(scheduler.load == 1)
                // The running story is far from its 400 tokens: the place was freed by the hang-up, not by the queue
                // moving on once the story ended.
                var streamed = ""
                while case let more = running.readAvailable(), !more.isEmpty { streamed += more }
                #expect(streamed.components(separatedBy: "data: ").count < 200)
                running.close()
                #expect(try await Self.waitForIdle(server))
                #expect(try await client.chat(#""max_tokens": 1"#).status == .ok)
            }
        }

        @Test func hangingUpOnAWholeRequestCancelsTheSequence() async throws {
            let server = try TestServer.make()
            try await TestServer.test(server, .live) { client in
                let port = try #require(client.port)
                let connection = try RawConnection(port: port)
                connection.sendPost(
                    path: "/v1/chat/completions",
                    json: TestServer.longStory(stream: false))
                let scheduler = try #require(server.models.scheduler(of: TestServer.modelID))
                // Wait (bounded) until the request is running, then hang up.
                for _ in 0..<2000 where scheduler.load == 0 { try await Task.sleep(for: .milliseconds(5)) }
                #expect(scheduler.load == 1)
                connection.close()
                #expect(try await Self.waitForIdle(server), "the sequence kept running after the client hung up")
            }
        }

        @Test func manyConcurrentRequestsAllComplete() async throws {
            let server = try TestServer.make(maxSequences: 4)
            try await TestServer.test(server, .ahc(.http)) { client in
                let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                    for index in 0..<8 {
                        group.addTask {
                            let stream = index.isMultiple(of: 2)
                            let response = try await client.chat(#""max_tokens": 2, "seed": \#(index), "stream": \#(stream)"#)
                            guard response.status == .ok else { return (index, false) }
                            if stream { return (index, StreamingTests.events(response).last == "[DONE]") }
                            return (index, !(try ChatCompletionTests.content(of: response)).isEmpty)
                        }
                    }
                    return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
                }
                #expect(results.count == 8)
                #expect(results.values.allSatisfy { $0 }, "failed: \(results.filter { !$0.value }.keys.sorted())")
                #expect(try await Self.waitForIdle(server))
            }
        }

        /// Polls the scheduler's load (bounded) until it is 0.
        static func waitForIdle(_ server: TernServer) async throws -> Bool {
            let scheduler = try #require(server.models.scheduler(of: TestServer.modelID))
            for _ in 0..<4000 {
                if scheduler.load == 0 { return true }
                try await Task.sleep(for: .milliseconds(5))
            }
            return false
        }
    }
}
