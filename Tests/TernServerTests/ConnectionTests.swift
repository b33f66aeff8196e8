import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import TernServer

extension ServerTests {
    /// Connections: kept alive between requests, ended after an answer sent before the body was read, bounded in
    /// number, and every malformed request answered in OpenAI's envelope.
    @Suite struct ConnectionTests {
        static let chat = #"{"model":"gpt-4","messages":[{"role":"user","content":"Say hello."}],"max_tokens":3"#

        @Test func answersKeepTheConnectionOpen() async throws {
            try await TestServer.test(try TestServer.make(), .live) { client in
                let connection = try RawConnection(port: try #require(client.port))
                defer { connection.close() }
                // Whole, streamed, an error after the body was read, a GET: one connection carries them all.
                for json in [Self.chat + "}", Self.chat + #","stream":true}"#, #"{"model":"gpt-4","messages":["#, Self.chat + "}"] {
                    connection.sendPost(path: "/v1/chat/completions", json: json)
                    let answer = try #require(connection.receiveResponse(), "no answer to \(json)")
                    #expect(answer.status == (json.hasSuffix("[") ? 400 : 200))
                    #expect(!answer.head.lowercased().contains("connection: close"), "\(answer.head)")
                }
                connection.write("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(connection.receiveResponse()?.status == 200)
            }
        }

        @Test func aBodyTooLargeIs413AndEndsTheConnection() async throws {
            try await TestServer.test(try TestServer.make(maxBodyBytes: 4096), .live) { client in
                let port = try #require(client.port)
                // Announced larger than the limit, with only part of it sent: the answer comes, then the close.
                let announced = try RawConnection(port: port, timeoutSeconds: 10)
                defer { announced.close() }
                announced.write(
                    "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n"
                        + String(repeating: "a", count: 1000))
                let answer = try #require(announced.receiveResponse())
                #expect(answer.status == 413)
                #expect(answer.body.contains("\"code\":\"request_too_large\""))
                #expect(announced.isClosedByPeer())
                // Chunked, without a length: found out while reading.
                let chunked = try RawConnection(port: port, timeoutSeconds: 10)
                defer { chunked.close() }
                let chunk = String(repeating: "b", count: 3000)
                chunked.write(
                    "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "BB8\r\n\(chunk)\r\nBB8\r\n\(chunk)\r\n")
                #expect(chunked.receiveResponse()?.status == 413)
                #expect(chunked.isClosedByPeer())
            }
        }

        @Test(arguments: [
            "GARBAGE\r\n\r\n", "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n", "GET /v1/models HTTP/9.9\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
            "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGARBAGE\r\n\r\n",
        ])
        func aMalformedRequestIs400InOpenAIsEnvelope(request: String) async throws {
            try await TestServer.test(try TestServer.make(), .live) { client in
                let port = try #require(client.port)
                let connection = try RawConnection(port: port, timeoutSeconds: 10)
                defer { connection.close() }
                connection.write(request)
                // The server closes the connection after its 400: read to the end, and take the last answer.
                var text = connection.receive { _ in false }
                if request.hasSuffix("\r\n\r\nGARBAGE\r\n\r\n") {
                    // A good request, then a bad one on the same connection: the first is answered first.
                    let first = try #require(RawConnection.parseResponse(text), "\(text)")
                    #expect(first.status == 200)
                    text = String(text[try #require(text.range(of: "HTTP/1.1 400")).lowerBound...])
                }
                let answer = try #require(RawConnection.parseResponse(text), "no answer to \(request.debugDescription): \(text)")
                #expect(answer.status == 400, "\(request.debugDescription): \(answer.head)")
                let envelope = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
                let error = try #require(envelope?["error"] as? [String: Any], "\(answer.body)")
                #expect(Set(error.keys) == ["message", "type", "param", "code"])
                #expect(error["type"] as? String == "invalid_request_error")
                #expect(try HostileInputTests.modelsAnswer(port: port).hasPrefix("HTTP/1.1 200"))
            }
        }

        /// At the limit, a new connection takes the place of the one idle longest; when none is idle it gets 503.
        @Test func connectionsAreBoundedAndIdleOnesMakeRoom() async throws {
            let server = try TestServer.make(configure: {
                $0.maxConnections = 2
                $0.silentConnectionGrace = .seconds(60)
            })
            try await TestServer.test(server, .live) { client in
                let port = try #require(client.port)
                var open: [RawConnection] = []
                defer { for connection in open { connection.close() } }
                for _ in 0..<2 {
                    let connection = try RawConnection(port: port, timeoutSeconds: 10)
                    connection.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    #expect(connection.receiveResponse()?.status == 200)
                    open.append(connection)
                }
                // A third client is served; the connection idle longest was closed for it.
                let third = try RawConnection(port: port, timeoutSeconds: 10)
                open.append(third)
                third.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(third.receiveResponse()?.status == 200)
                #expect(open[0].isClosedByPeer())
                // Now both open connections are busy with a stream that cannot end early (end tokens banned): a fourth
                // is refused at once, in OpenAI's envelope, and the streams go on.
                let story =
                    TestServer.longStory(stream: true, maxTokens: 300)
                for busy in [open[1], third] {
                    busy.sendPost(path: "/v1/chat/completions", json: story)
                    _ = busy.receive { $0.contains("data: ") }
                }
                let fourth = try RawConnection(port: port, timeoutSeconds: 10)
                defer { fourth.close() }
                let refused = try #require(fourth.receiveResponse())
                #expect(refused.status == 503)
                #expect(refused.body.contains("\"code\":\"too_many_connections\""))
                #expect(refused.head.lowercased().contains("retry-after: 1"))
                #expect(fourth.isClosedByPeer())
                #expect(open[1].receive { $0.components(separatedBy: "data: ").count > 4 }.components(separatedBy: "data: ").count > 4)
                #expect(server.connections.openConnections == 2)
            }
        }

        /// Connections that never send a request hold no place for long: past the grace period they are closed for
        /// new clients, so that silent connections cannot lock everyone out.
        @Test func silentConnectionsMakeRoomAfterTheGracePeriod() async throws {
            let server = try TestServer.make(configure: {
                $0.maxConnections = 2
                $0.silentConnectionGrace = .milliseconds(500)
            })
            try await TestServer.test(server, .live) { client in
                let port = try #require(client.port)
                let silent = try (0..<2).map { _ in try RawConnection(port: port, timeoutSeconds: 2) }
                defer { for connection in silent { connection.close() } }
                try await Task.sleep(for: .milliseconds(100))
                // Within the grace period the silent ones might still be about to send: a newcomer is refused.
                let early = try RawConnection(port: port, timeoutSeconds: 10)
                defer { early.close() }
                #expect(early.receiveResponse()?.status == 503)
                try await Task.sleep(for: .milliseconds(600))
                let late = try RawConnection(port: port, timeoutSeconds: 10)
                defer { late.close() }
                late.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(late.receiveResponse()?.status == 200)
                #expect(silent.count { $0.isClosedByPeer() } == 1)
            }
        }
    }
}
