import Foundation
import Hummingbird
import HummingbirdTesting
import TernOpenAI
import TernServer
import Testing

extension ServerTests {
    /// Server-Sent Events over a live socket.
    @Suite struct StreamingTests {
        @Test func chatStreamHasRoleContentFinishUsageAndDone() async throws {
            try await TestServer.test(try TestServer.make(), .ahc(.http)) { client in
                let whole = try await ChatCompletionTests.content(of: client.chat(#""max_tokens": 6, "temperature": 0"#))
                let response = try await client.chat(#""max_tokens": 6, "temperature": 0, "stream": true, "stream_options": {"include_usage": true}"#)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/event-stream")
                let events = Self.events(response)
                try #require(events.count >= 4)
                #expect(events.last == "[DONE]")
                let chunks = try events.dropLast().map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
                let ids = Set(chunks.compactMap { $0["id"] as? String })
                #expect(ids.count == 1)
                #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
                let deltas = chunks.dropLast().compactMap { ($0["choices"] as? [[String: Any]])?.first }
                #expect((deltas.first?["delta"] as? [String: Any])?["role"] as? String == "assistant")
                let text = deltas.compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }.joined()
                #expect(text == whole)
                #expect(deltas.last?["finish_reason"] as? String == "length")
                #expect(deltas.dropLast().allSatisfy { $0["finish_reason"] is NSNull })
                let usageChunk = try #require(chunks.last)
                #expect((usageChunk["choices"] as? [Any])?.isEmpty == true)
                #expect((usageChunk["usage"] as? [String: Any])?["completion_tokens"] as? Int == 6)
            }
        }

        @Test func completionStreamWithTwoChoices() async throws {
            try await TestServer.test(try TestServer.make(), .ahc(.http)) { client in
                let response = try await client.post(
                    "/v1/completions", json: #"{"model":"gpt-4","prompt":"Hello","n":2,"max_tokens":3,"stream":true,"seed":5}"#)
                let events = Self.events(response)
                #expect(events.last == "[DONE]")
                let chunks = try events.dropLast().map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
                let finished = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first }.filter { $0["finish_reason"] is String }
                #expect(Set(finished.compactMap { $0["index"] as? Int }) == [0, 1])
                #expect(chunks.allSatisfy { $0["usage"] == nil })
            }
        }

        @Test func keepAliveCommentsWhileThePromptIsProcessed() async throws {
            // An interval far shorter than processing a long prompt takes.
            try await TestServer.test(try TestServer.make(keepAlive: .milliseconds(1)), .ahc(.http)) { client in
                let prompt = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 8)
                let response = try await client.chat(#""max_tokens": 2, "stream": true"#, content: prompt)
                var parser = ServerSentEventParser()
                let events = parser.feed(response.body.readableBytesView)
                #expect(parser.commentCount > 0)
                #expect(events.last?.data == "[DONE]")
            }
        }

        @Test func stopStringIsNeverStreamed() async throws {
            try await TestServer.test(try TestServer.make(), .ahc(.http)) { client in
                let whole = try await ChatCompletionTests.content(of: client.chat(#""max_tokens": 12, "temperature": 0"#))
                let characters = Array(whole)
                try #require(characters.count >= 8)
                let stop = String(characters[2..<6])
                let response = try await client.chat(
                    #""max_tokens": 12, "temperature": 0, "stream": true, "stop": [\#(ChatCompletionTests.quoted(stop))]"#)
                let chunks = try Self.events(response).dropLast().map {
                    try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
                }
                let deltas = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first }
                let text = deltas.compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }.joined()
                #expect(text == String(whole[..<whole.range(of: stop)!.lowerBound]))
                #expect(deltas.last?["finish_reason"] as? String == "stop")
            }
        }

        /// An answer that ends at once (the end-of-turn token, id 2, is favoured here) is empty, ends with `stop` and
        /// counts 0 completion tokens, whole and streamed.
        @Test func anAnswerThatEndsAtOnceIsEmptyAndStops() async throws {
            try await TestServer.test(try TestServer.make(), .ahc(.http)) { client in
                let endAtOnce = #""max_tokens": 8, "logit_bias": {"2": 100}"#
                let whole = try await client.chat(endAtOnce).json()
                let choice = try #require((whole["choices"] as? [[String: Any]])?.first)
                #expect((choice["message"] as? [String: Any])?["content"] as? String == "")
                #expect(choice["finish_reason"] as? String == "stop")
                #expect((whole["usage"] as? [String: Any])?["completion_tokens"] as? Int == 0)

                let response = try await client.chat(endAtOnce + #", "stream": true, "stream_options": {"include_usage": true}"#)
                let events = Self.events(response)
                #expect(events.last == "[DONE]")
                let chunks = try events.dropLast().map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
                let deltas = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first }
                #expect((deltas.first?["delta"] as? [String: Any])?["role"] as? String == "assistant")
                #expect(deltas.compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }.joined() == "")
                #expect(deltas.last?["finish_reason"] as? String == "stop")
                #expect((chunks.last?["usage"] as? [String: Any])?["completion_tokens"] as? Int == 0)
            }
        }

        /// The `data:` payloads of a response.
        static func events(_ response: TestResponse) -> [String] {
            var parser = ServerSentEventParser()
            return parser.feed(response.body.readableBytesView).map(\.data)
        }
    }
}
