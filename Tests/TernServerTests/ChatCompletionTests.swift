import Foundation
import Hummingbird
import HummingbirdTesting
import TernServer
import Testing

extension ServerTests {
    /// Whole (non-streamed) chat completions: shape, usage, limits, n, seeds, stop strings, log probabilities.
    @Suite struct ChatCompletionTests {
        @Test func wholeResponseHasOpenAIShape() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                // Greedy, so that the answer is the same every run (sampled, it may end before 4 tokens).
                let response = try await client.chat(#""max_tokens": 4, "temperature": 0"#)
                #expect(response.status == .ok)
                let body = try response.json()
                #expect((body["id"] as? String)?.hasPrefix("chatcmpl-") == true)
                #expect(body["object"] as? String == "chat.completion")
                #expect(body["model"] as? String == "gpt-4")
                #expect((body["system_fingerprint"] as? String)?.hasPrefix("fp_") == true)
                #expect((body["created"] as? Int ?? 0) > 1_600_000_000)
                let choices = try #require(body["choices"] as? [[String: Any]])
                #expect(choices.count == 1)
                let message = try #require(choices[0]["message"] as? [String: Any])
                #expect(message["role"] as? String == "assistant")
                #expect((message["content"] as? String)?.isEmpty == false)
                #expect(choices[0]["finish_reason"] as? String == "length")
                let usage = try #require(body["usage"] as? [String: Any])
                let prompt = try #require(usage["prompt_tokens"] as? Int)
                #expect(prompt > 5)
                #expect(usage["completion_tokens"] as? Int == 4)
                #expect(usage["total_tokens"] as? Int == prompt + 4)
                let details = try #require(usage["prompt_tokens_details"] as? [String: Any])
                #expect(details["cached_tokens"] as? Int == 0)
            }
        }

        @Test func maxCompletionTokensEndsInLength() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let body = try await client.chat(#""max_completion_tokens": 2, "temperature": 0"#).json()
                let choice = try #require((body["choices"] as? [[String: Any]])?.first)
                #expect(choice["finish_reason"] as? String == "length")
                #expect((body["usage"] as? [String: Any])?["completion_tokens"] as? Int == 2)
            }
        }

        @Test func nChoicesAreIndexedAndCounted() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let body = try await client.chat(#""n": 3, "max_tokens": 3, "seed": 7"#).json()
                let choices = try #require(body["choices"] as? [[String: Any]])
                #expect(choices.map { $0["index"] as? Int } == [0, 1, 2])
                let usage = try #require(body["usage"] as? [String: Any])
                #expect(usage["completion_tokens"] as? Int == 9)
            }
        }

        @Test func sameSeedGivesSameText() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let fields = #""max_tokens": 12, "temperature": 1.2, "seed": 1234"#
                let first = try await Self.content(of: client.chat(fields))
                let second = try await Self.content(of: client.chat(fields))
                #expect(first == second)
                #expect(!first.isEmpty)
            }
        }

        @Test func stopStringEndsTheTextBeforeIt() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let full = try await Self.content(of: client.chat(#""max_tokens": 12, "temperature": 0"#))
                // A stop string from the middle of the greedy text, likely spanning tokens.
                let characters = Array(full)
                try #require(characters.count >= 8, "greedy text too short: \(full)")
                let stop = String(characters[3..<7])
                let expected = String(full[..<full.range(of: stop)!.lowerBound])
                let body = try await client.chat(#""max_tokens": 12, "temperature": 0, "stop": \#(Self.quoted(stop))"#).json()
                let choice = try #require((body["choices"] as? [[String: Any]])?.first)
                #expect((choice["message"] as? [String: Any])?["content"] as? String == expected)
                #expect(choice["finish_reason"] as? String == "stop")
            }
        }

        @Test func logprobsHaveOpenAIShape() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let body = try await client.chat(#""max_tokens": 3, "temperature": 0, "logprobs": true, "top_logprobs": 2"#).json()
                let choice = try #require((body["choices"] as? [[String: Any]])?.first)
                let content = try #require((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
                #expect(content.count == 3)
                let text = (choice["message"] as? [String: Any])?["content"] as? String
                #expect(content.compactMap { $0["token"] as? String }.joined() == text)
                for entry in content {
                    let logprob = try #require(entry["logprob"] as? Double)
                    #expect(logprob <= 0)
                    #expect((entry["bytes"] as? [Int])?.isEmpty == false)
                    let top = try #require(entry["top_logprobs"] as? [[String: Any]])
                    #expect(top.count == 2)
                    // Greedy: the chosen token is the most likely one.
                    #expect(abs((top[0]["logprob"] as? Double ?? 1) - logprob) < 1e-4)
                }
            }
        }

        @Test func developerAndSystemMessagesAreAccepted() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let body = #"""
                    {"model":"gpt-4","max_tokens":2,"messages":[{"role":"developer","content":"Be brief."},
                     {"role":"user","content":[{"type":"text","text":"Hi"},{"type":"text","text":"there"}]},
                     {"role":"assistant","content":"Hello!"},{"role":"user","content":"Bye"}]}
                    """#
                let response = try await client.post("/v1/chat/completions", json: body)
                #expect(response.status == .ok)
            }
        }

        static func content(of response: TestResponse) throws -> String {
            let choice = try #require((try response.json()["choices"] as? [[String: Any]])?.first, "\(String(buffer: response.body))")
            return try #require((choice["message"] as? [String: Any])?["content"] as? String)
        }

        static func quoted(_ text: String) -> String {
            String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
        }
    }
}
