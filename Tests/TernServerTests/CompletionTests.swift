import Foundation
import Hummingbird
import HummingbirdTesting
import TernServer
import Testing

extension ServerTests {
    /// The legacy `POST /v1/completions`.
    @Suite struct CompletionTests {
        @Test func promptsTimesNChoices() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let response = try await client.post(
                    "/v1/completions", json: #"{"model":"gpt-4","prompt":["The sky is","Two plus two is"],"n":2,"max_tokens":2,"seed":3}"#)
                #expect(response.status == .ok)
                let body = try response.json()
                #expect((body["id"] as? String)?.hasPrefix("cmpl-") == true)
                #expect(body["object"] as? String == "text_completion")
                let choices = try #require(body["choices"] as? [[String: Any]])
                #expect(choices.map { $0["index"] as? Int } == [0, 1, 2, 3])
                #expect(choices.allSatisfy { $0["finish_reason"] as? String == "length" })
                let usage = try #require(body["usage"] as? [String: Any])
                #expect(usage["completion_tokens"] as? Int == 8)
            }
        }

        @Test func defaultMaxTokensIs16AndLogprobsAreParallelArrays() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let body = try await client.post(
                    "/v1/completions", json: #"{"model":"gpt-4","prompt":"Once upon a time","temperature":0,"logprobs":2}"#
                ).json()
                #expect((body["usage"] as? [String: Any])?["completion_tokens"] as? Int == 16)
                let choice = try #require((body["choices"] as? [[String: Any]])?.first)
                let logprobs = try #require(choice["logprobs"] as? [String: Any])
                let tokens = try #require(logprobs["tokens"] as? [String])
                #expect(tokens.count == 16)
                #expect((logprobs["token_logprobs"] as? [Double])?.count == 16)
                #expect((logprobs["top_logprobs"] as? [[String: Double]])?.count == 16)
                let offsets = try #require(logprobs["text_offset"] as? [Int])
                #expect(offsets.first == 0)
                #expect(offsets == offsets.sorted())
                #expect(tokens.joined() == choice["text"] as? String)
            }
        }
    }
}
