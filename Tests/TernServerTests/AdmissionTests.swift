import Foundation
import Hummingbird
import HummingbirdTesting
import TernServer
import Testing

extension ServerTests {
    /// A full server says "busy, retry" with 503 `overloaded` and `retry-after`, and keeps serving; repeated prompts
    /// report the reused prefix in `usage`.
    @Suite struct AdmissionTests {
        @Test func pastTheQueueRequestsGet503WithRetryAfter() async throws {
            let server = try TestServer.make(maxSequences: 1, maxQueue: 0)
            try await TestServer.test(server, .live) { client in
                let port = try #require(client.port)
                let connection = try RawConnection(port: port)
                connection.sendPost(
                    path: "/v1/chat/completions",
                    json: TestServer.longStory(stream: true))
                // Several tokens in: the scheduler publishes its gauges between steps, so once a later step's token
                // has arrived, /metrics counts the story as running.
                _ = connection.receive { $0.components(separatedBy: "data: ").count > 4 }
                let scheduler = try #require(server.models.scheduler(of: TestServer.modelID))
                #expect(scheduler.load == 1)

                let refused = try await client.chat(#""max_tokens": 1"#)
                let error = try refused.openAIError(status: .serviceUnavailable)
                #expect(error["code"] as? String == "overloaded")
                #expect(error["type"] as? String == "server_error")
                let retryAfter = try #require(refused.headers[.retryAfter])
                #expect((Int(retryAfter) ?? 0) >= 1)
                let metrics = try await client.metrics()
                #expect(metrics["tern_requests_total{outcome=\"rejected\"}"] == 1)
                #expect(metrics["tern_requests_running"] == 1)

                connection.close()
                #expect(try await DisconnectAndConcurrencyTests.waitForIdle(server))
                #expect(try await client.chat(#""max_tokens": 1"#).status == .ok)
            }
        }

        /// More completions than the server can ever hold at once (running plus queued) is the client's error, not a
        /// busy server: a 503 would have clients retry forever.
        /// Several prompts in one request: each one's cached part counts (a sum, as `prompt_tokens` is).
        @Test func cachedTokensAddUpOverPrompts() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let prompt = "You are a careful assistant. Answer briefly: what is the boiling point of water at sea level?"
                let body = #"{"model":"gpt-4","prompt":["\#(prompt)","\#(prompt)"],"max_tokens":1,"temperature":0}"#
                _ = try await client.post("/v1/completions", json: body).json()
                let usage = try #require(try await client.post("/v1/completions", json: body).json()["usage"] as? [String: Any])
                let promptTokens = try #require(usage["prompt_tokens"] as? Int)
                let cached = (usage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int
                // Both prompts reuse all but their last token.
                #expect(cached == promptTokens - 2)
            }
        }

        @Test func aRequestLargerThanTheServerIsRefusedAs400() async throws {
            try await TestServer.test(try TestServer.make(maxSequences: 1, maxQueue: 2)) { client in
                let tooMany = try await client.chat(#""max_tokens": 1, "n": 4"#).openAIError(status: .badRequest)
                #expect(tooMany["param"] as? String == "n")
                #expect(tooMany["type"] as? String == "invalid_request_error")
                #expect((tooMany["message"] as? String)?.contains("at most 3") == true)
                let prompts = try await client.post(
                    "/v1/completions", json: #"{"model":"gpt-4","prompt":["a","b"],"n":2,"max_tokens":1}"#
                ).openAIError(status: .badRequest)
                #expect(prompts["param"] as? String == "prompt")
                // As many as fit: one runs, two wait their turn.
                let fits = try await client.chat(#""max_tokens": 1, "n": 3"#)
                #expect(fits.status == .ok)
                #expect((try fits.json()["choices"] as? [Any])?.count == 3)
            }
        }

        @Test func aRepeatedPromptReportsCachedTokens() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let fields = #""max_tokens": 3, "temperature": 0"#
                let content = "You are a careful assistant. Answer briefly: what is the boiling point of water at sea level?"
                let first = try await client.chat(fields, content: content).json()
                let second = try await client.chat(fields, content: content).json()
                func cached(_ body: [String: Any]) -> Int? {
                    ((body["usage"] as? [String: Any])?["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int
                }
                let promptTokens = try #require((second["usage"] as? [String: Any])?["prompt_tokens"] as? Int)
                #expect(cached(first) == 0)
                // All but the last prompt token, whose logits must be computed.
                #expect(cached(second) == promptTokens - 1)
                func answer(_ body: [String: Any]) -> String? {
                    ((body["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
                }
                #expect(answer(first) == answer(second))
            }
        }
    }
}
