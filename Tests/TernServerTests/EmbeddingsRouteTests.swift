import Foundation
import Hummingbird
import HummingbirdTesting
import TernEngine
import TernServer
import TernStore
import Testing

extension ServerTests {
    /// `POST /v1/embeddings` through the router: the input forms, both encodings, the errors, the ledger.
    @Suite struct EmbeddingsRouteTests {
        static func vectors(_ body: [String: Any]) throws -> [[Double]] {
            let data = try #require(body["data"] as? [[String: Any]])
            return try data.enumerated().map { index, item in
                #expect(item["object"] as? String == "embedding")
                #expect(item["index"] as? Int == index)
                return try #require(item["embedding"] as? [Double])
            }
        }

        static func length(_ vector: [Double]) -> Double { vector.reduce(0) { $0 + $1 * $1 }.squareRoot() }

        @Test func textsAndTokenArraysGiveUnitVectorsInOrder() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let one = try await client.post("/v1/embeddings", json: #"{"model":"gpt-4","input":"The cat sat on the mat."}"#)
                #expect(one.status == .ok)
                let body = try one.json()
                #expect(body["object"] as? String == "list" && body["model"] as? String == "gpt-4")
                let usage = try #require(body["usage"] as? [String: Int])
                #expect(usage == ["prompt_tokens": 7, "total_tokens": 7])
                let single = try Self.vectors(body)
                #expect(single.count == 1 && single[0].count == 576)
                #expect(abs(Self.length(single[0]) - 1) < 1e-5)

                let ids = try #require(
                    try await client.post("/tokenize", json: #"{"content":"The cat sat on the mat."}"#).json()["tokens"] as? [Int])
                let many = try await client.post(
                    "/v1/embeddings", json: #"{"model":"gpt-4","input":[\#(ids),\#(ids.prefix(3))]}"#
                ).json()
                let vectors = try Self.vectors(many)
                #expect(vectors.count == 2)
                #expect(zip(vectors[0], single[0]).allSatisfy { abs($0 - $1) < 1e-6 }, "the text's own tokens give its vector")
                #expect(zip(vectors[1], single[0]).contains { abs($0 - $1) > 1e-3 })
                #expect((many["usage"] as? [String: Int])?["prompt_tokens"] == ids.count + 3)
            }
        }

        @Test func base64IsTheLittleEndianFloatsOfTheSameVector() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let texts = #"["first text","second, longer text"]"#
                let floats = try Self.vectors(
                    try await client.post("/v1/embeddings", json: #"{"model":"gpt-4","input":\#(texts)}"#).json())
                let encoded = try await client.post(
                    "/v1/embeddings", json: #"{"model":"gpt-4","input":\#(texts),"encoding_format":"base64"}"#
                ).json()
                let items = try #require(encoded["data"] as? [[String: Any]])
                for (index, item) in items.enumerated() {
                    let text = try #require(item["embedding"] as? String)
                    let data = try #require(Data(base64Encoded: text))
                    let decoded = data.withUnsafeBytes { raw in
                        (0..<data.count / 4).map {
                            Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))))
                        }
                    }
                    #expect(decoded.count == 576)
                    #expect(zip(decoded, floats[index]).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
                }
            }
        }

        @Test func badInputsAreOpenAIErrors() async throws {
            try await TestServer.test(try TestServer.make(contextLength: 64)) { client in
                func error(_ body: String) async throws -> [String: Any] {
                    try await client.post("/v1/embeddings", json: body).openAIError(status: .badRequest)
                }
                #expect(try await error(#"{"model":"gpt-4"}"#)["param"] as? String == "input")
                #expect(try await error(#"{"model":"gpt-4","input":""}"#)["param"] as? String == "input")
                #expect(try await error(#"{"model":"gpt-4","input":[]}"#)["code"] as? String == "empty_array")
                #expect(try await error(#"{"model":"gpt-4","input":["a",""]}"#)["param"] as? String == "input[1]")
                #expect(try await error(#"{"model":"gpt-4","input":["a",3]}"#)["param"] as? String == "input[1]")
                #expect(try await error(#"{"model":"gpt-4","input":[[1,2],[49152]]}"#)["param"] as? String == "input[1]")
                #expect(try await error(#"{"model":"gpt-4","input":"a","encoding_format":"int8"}"#)["param"] as? String == "encoding_format")
                let dimensions = try await error(#"{"model":"gpt-4","input":"a","dimensions":256}"#)
                #expect(dimensions["param"] as? String == "dimensions")
                #expect((dimensions["message"] as? String)?.contains("576") == true)
                let long = String(repeating: "word ", count: 100)
                let tooLong = try await error(#"{"model":"gpt-4","input":["short","\#(long)"]}"#)
                #expect(tooLong["code"] as? String == "context_length_exceeded" && tooLong["param"] as? String == "input[1]")
                #expect(try await error(#"{"model":"gpt-4","input":"a","extra":1}"#)["param"] as? String == "extra")
                // The model's own width is accepted, and the server still serves.
                #expect(try await client.post("/v1/embeddings", json: #"{"model":"gpt-4","input":"a","dimensions":576}"#).status == .ok)
                let unknown = try await client.post("/v1/embeddings", json: #"{"model":"nope","input":"a"}"#)
                #expect(unknown.status == .notFound)
            }
        }

        @Test func usageGoesToTheLedger() async throws {
            try await TestAccess.with { access in
                let key = try await access.key(NewAPIKey(name: "embedder"))
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    let body = #"{"model":"gpt-4","input":["one","two three"]}"#
                    #expect(try await client.post("/v1/embeddings", json: body).status == .unauthorized)
                    let answer = try await client.post("/v1/embeddings", json: body, key: key).json()
                    let tokens = try #require((answer["usage"] as? [String: Int])?["prompt_tokens"])
                    let usage = try #require(try await access.usage(of: "embedder", once: 1))
                    #expect(usage.promptTokens == tokens && usage.completionTokens == 0 && usage.failedRequests == 0)
                }
            }
        }

        /// A BERT model serves embeddings and refuses to generate, naming the route to use.
        @Test func anEmbeddingModelRefusesChat() async throws {
            guard let path = ProcessInfo.processInfo.environment["TERN_TEST_BERT_MODEL"], !path.isEmpty else {
                throw TestSetupError("TERN_TEST_BERT_MODEL is not set (scripts/test.sh sets it)")
            }
            let server = try TestServer.make(load: { try LoadedModel(path: path) })
            try await TestServer.test(server) { client in
                let chat = try await client.chat().openAIError(status: .badRequest)
                #expect(chat["code"] as? String == "model_not_supported")
                #expect((chat["message"] as? String)?.contains("/v1/embeddings") == true)
                let completion = try await client.post("/v1/completions", json: #"{"model":"gpt-4","prompt":"a"}"#)
                #expect(completion.status == .badRequest)
                let body = try await client.post("/v1/embeddings", json: #"{"model":"gpt-4","input":["A cat.","A kitten.","Tax law."]}"#).json()
                let vectors = try Self.vectors(body)
                #expect(vectors.map(\.count) == [384, 384, 384])
                func cosine(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
                #expect(cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.2, "similar texts lie closer")
                // Each text framed as [CLS] … [SEP], as /tokenize frames it with add_special.
                var framed = 0
                for text in ["A cat.", "A kitten.", "Tax law."] {
                    let ids = try await client.post("/tokenize", json: #"{"content":"\#(text)","add_special":true}"#).json()["tokens"] as? [Int]
                    #expect(ids?.first == 101 && ids?.last == 102)
                    framed += ids?.count ?? 0
                }
                #expect((body["usage"] as? [String: Int])?["prompt_tokens"] == framed)
            }
        }
    }
}
