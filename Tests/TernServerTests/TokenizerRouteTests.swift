import Foundation
import Hummingbird
import HummingbirdTesting
import TernServer
import Testing

extension ServerTests {
    /// llama.cpp's server utility routes: `/tokenize`, `/detokenize`, `/apply-template`.
    @Suite struct TokenizerRouteTests {
        @Test func tokenizeThenDetokenizeGivesTheTextBack() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let text = "<|im_start|>user\nHello, world! ünïcödé"
                let ids = try #require(
                    try await client.post("/tokenize", json: #"{"content":\#(Self.quoted(text))}"#).json()["tokens"] as? [Int])
                #expect(ids.count > 5)
                #expect(ids.first == 1, "<|im_start|> is one special token (id 1), parsed by default")
                let back = try await client.post("/detokenize", json: #"{"tokens":\#(ids)}"#).json()
                #expect(back["content"] as? String == text)
                // Written as plain text, the marker is several ordinary tokens.
                let plain = try #require(
                    try await client.post("/tokenize", json: #"{"content":"<|im_start|>","parse_special":false}"#).json()["tokens"] as? [Int])
                #expect(plain.count > 1 && !plain.contains(1))
            }
        }

        @Test func piecesAreTextOrBytesAndMixedContentPassesIdsThrough() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let body = try await client.post(
                    "/tokenize", json: #"{"content":["Hi",2,"🦀"],"with_pieces":true,"add_special":true}"#
                ).json()
                let tokens = try #require(body["tokens"] as? [[String: Any]])
                #expect(tokens.first?["piece"] as? String == "Hi", "this model adds no BOS token, even when asked to")
                #expect(tokens.contains { $0["id"] as? Int == 2 && $0["piece"] as? String == "<|im_end|>" })
                // The crab is four bytes split over tokens that are not whole UTF-8 each: those come as byte arrays.
                let crab = tokens.drop { $0["id"] as? Int != 2 }.dropFirst()
                let bytes = crab.flatMap { token -> [Int] in
                    if let text = token["piece"] as? String { return Array(text.utf8).map(Int.init) }
                    return token["piece"] as? [Int] ?? []
                }
                #expect(bytes == Array("🦀".utf8).map(Int.init))
                #expect(crab.contains { $0["piece"] is [Int] })
            }
        }

        @Test func badIdsAndBodiesAreOpenAIErrors() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let outOfRange = try await client.post("/detokenize", json: #"{"tokens":[1,49152]}"#).openAIError(status: .badRequest)
                #expect(outOfRange["param"] as? String == "tokens[1]")
                let negative = try await client.post("/tokenize", json: #"{"content":["a",-1]}"#).openAIError(status: .badRequest)
                #expect(negative["param"] as? String == "content[1]")
                let missing = try await client.post("/tokenize", json: #"{}"#).openAIError(status: .badRequest)
                #expect(missing["param"] as? String == "content")
                let unknownModel = try await client.post("/tokenize", json: #"{"content":"a","model":"nope"}"#)
                #expect(unknownModel.status == .notFound)
            }
        }

        @Test func applyTemplateAnswersThePromptTheChatWouldRead() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let body = try await client.post(
                    "/apply-template", json: #"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}"#
                ).json()
                #expect(
                    body["prompt"] as? String
                        == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
                let withTools = try await client.post(
                    "/apply-template",
                    json: #"{"model":"gpt-4","messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"ping"}}]}"#
                ).json()
                #expect((withTools["prompt"] as? String)?.contains(#"{"name":"ping""#) == true)
                let bad = try await client.post("/apply-template", json: #"{"messages":[{"role":"wizard","content":"Hi"}]}"#)
                _ = try bad.openAIError(status: .badRequest)
            }
        }

        static func quoted(_ text: String) -> String {
            String(decoding: try! JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed), as: UTF8.self)
        }
    }
}
