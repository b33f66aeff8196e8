import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import TernServer
import Testing

extension ServerTests {
    /// Requests meant to hurt: each gets a clear OpenAI error with the right status, and the server goes on serving.
    @Suite struct HostileInputTests {
        @Test func deeplyNestedJSONIs400() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let nested = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
                let error = try await client.post("/v1/chat/completions", json: #"{"model":"gpt-4","messages":\#(nested)}"#)
                    .openAIError(status: .badRequest)
                #expect((error["message"] as? String)?.contains("nesting") == true)
                #expect(try await client.chat(#""max_tokens": 1"#).status == .ok)
            }
        }

        @Test func hugeJSONIs413() async throws {
            try await TestServer.test(try TestServer.make(maxBodyBytes: 64 << 10)) { client in
                let many = Array(repeating: #"{"role":"user","content":"hi"}"#, count: 20_000).joined(separator: ",")
                let error = try await client.post("/v1/chat/completions", json: #"{"model":"gpt-4","messages":[\#(many)]}"#)
                    .openAIError(status: .contentTooLarge)
                #expect(error["code"] as? String == "request_too_large")
                #expect(try await client.chat(#""max_tokens": 1"#).status == .ok)
            }
        }

        @Test func invalidUTF8Is400() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                var body = ByteBuffer(string: #"{"model":"gpt-4","messages":[{"role":"user","content":"a"#)
                body.writeBytes([0xC3, 0x28, 0xFF])
                body.writeString(#""}]}"#)
                let response = try await client.execute(
                    uri: "/v1/chat/completions", method: .post, headers: [.contentType: "application/json"], body: body)
                let error = try response.openAIError(status: .badRequest)
                #expect((error["message"] as? String)?.contains("UTF-8") == true)
                #expect(try await client.chat(#""max_tokens": 1"#).status == .ok)
            }
        }

        @Test(arguments: [
            (#""max_tokens": 1e300"#, "max_tokens"), (#""max_tokens": 99999999999999999999999"#, "max_tokens"),
            (#""temperature": 1e999"#, "temperature"), (#""n": 4294967297"#, "n"), (#""seed": 1e400"#, "seed"),
            (#""top_logprobs": -99999999999, "logprobs": true"#, "top_logprobs"), (#""presence_penalty": -1e308"#, "presence_penalty"),
        ])
        func absurdNumbersAre400NamingTheParameter(field: String, param: String) async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let error = try await client.chat(field).openAIError(status: .badRequest)
                #expect(error["param"] as? String == param)
            }
        }

        @Test func thousandsOfStopStringsAre400() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let stops = (0..<5000).map { #""s\#($0)""# }.joined(separator: ",")
                let error = try await client.chat(#""stop": [\#(stops)]"#).openAIError(status: .badRequest)
                #expect(error["param"] as? String == "stop")
                #expect(try await client.chat(#""max_tokens": 1"#).status == .ok)
            }
        }

        @Test func oversizedHeadersGet431AndOthersAreServed() async throws {
            let server = try TestServer.make()
            try await TestServer.test(server, .live) { client in
                let port = try #require(client.port)
                let connection = try RawConnection(port: port, timeoutSeconds: 10)
                defer { connection.close() }
                let padding = String(repeating: "a", count: 32 << 10)
                connection.write("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: \(padding)\r\n\r\n")
                let answer = connection.receive { _ in false }
                // 431 in OpenAI's envelope, then the connection closes (the receive ends).
                #expect(answer.hasPrefix("HTTP/1.1 431"), "\(answer.prefix(200))")
                #expect(answer.lowercased().contains("connection: close"))
                #expect(answer.contains("\"code\":\"request_header_fields_too_large\""))
                #expect(!answer.contains("\"object\":\"list\""))
                #expect(try await client.execute(uri: "/v1/models", method: .get).status == .ok)
            }
        }

        @Test func slowLorisHeadIsClosedByTheIdleTimeout() async throws {
            let server = try TestServer.make(configure: { $0.idleTimeout = .seconds(1) })
            try await TestServer.test(server, .live) { client in
                let port = try #require(client.port)
                let connection = try RawConnection(port: port, timeoutSeconds: 10)
                defer { connection.close() }
                // One byte at a time, far more slowly than the timeout allows for the whole head.
                let head = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + String(repeating: "z", count: 200) + "\r\n\r\n"
                var closed = false
                for (index, character) in head.enumerated() {
                    guard connection.write(String(character)) else {
                        closed = true
                        break
                    }
                    // Others are served meanwhile (on connections of their own: the test client's would time out too).
                    if index == 2 { #expect(try Self.modelsAnswer(port: port).hasPrefix("HTTP/1.1 200")) }
                    try await Task.sleep(for: .milliseconds(250))
                }
                if !closed { closed = connection.isClosedByPeer() }
                #expect(closed, "the server kept a connection open that sent its head one byte at a time")
            }
        }

        @Test func slowBodyIs408() async throws {
            let server = try TestServer.make(configure: { $0.idleTimeout = .seconds(1) })
            try await TestServer.test(server, .live) { client in
                let port = try #require(client.port)
                let connection = try RawConnection(port: port, timeoutSeconds: 20)
                defer { connection.close() }
                let body = #"{"model":"gpt-4","messages":[{"role":"user","content":"\#(String(repeating: "b", count: 200))"}]}"#
                connection.write(
                    "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                )
                var answer = ""
                for character in body {
                    guard connection.write(String(character)) else { break }
                    try await Task.sleep(for: .milliseconds(100))
                    answer += connection.readAvailable()
                    if !answer.isEmpty { break }
                }
                answer += connection.receive { answer.isEmpty ? $0.contains("}}") : true }
                #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(200))")
                #expect(try Self.modelsAnswer(port: port).hasPrefix("HTTP/1.1 200"))
            }
        }

        /// `GET /v1/models` on a new connection: the answer's head and body.
        static func modelsAnswer(port: Int) throws -> String {
            let connection = try RawConnection(port: port, timeoutSeconds: 20)
            defer { connection.close() }
            connection.write("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            return connection.receiveResponse().map { $0.head + "\r\n\r\n" + $0.body } ?? ""
        }
    }
}
