import Foundation
import TernJSON
import Testing

@testable import TernOpenAI

@Suite struct OpenAPIDocumentTests {
    static let documentURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi.json")

    func loadDocument() throws -> [String: Any] {
        let data = try Data(contentsOf: Self.documentURL)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func schema(_ name: String, in document: [String: Any]) throws -> Any {
        try #require(SchemaChecker(document: document).resolve("#/components/schemas/\(name)"), "schema \(name)")
    }

    func expectConforms(_ value: some Encodable, to name: String, in document: [String: Any], sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let instance = try JSONValue.parse(OpenAIJSON.encode(value))
        let problems = SchemaChecker(document: document).check(instance, against: try schema(name, in: document))
        #expect(problems.isEmpty, "\(name): \(problems)", sourceLocation: sourceLocation)
    }

    @Test func declaresEveryOperation() throws {
        let document = try loadDocument()
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let paths = try #require(document["paths"] as? [String: Any])
        let expected: [(String, String, [String])] = [
            ("/v1/chat/completions", "post", ["200", "400", "401", "404", "413", "429", "500", "503"]),
            ("/v1/completions", "post", ["200", "400", "401", "404", "413", "429", "500", "503"]),
            ("/v1/models", "get", ["200", "401"]),
            ("/v1/models/{model}", "get", ["200", "404"]),
            ("/health", "get", ["200", "503"]),
        ]
        let checker = SchemaChecker(document: document)
        for (path, method, statuses) in expected {
            let item = try #require(paths[path] as? [String: Any], "path \(path)")
            let operation = try #require(item[method] as? [String: Any], "\(method) \(path)")
            let responses = try #require(operation["responses"] as? [String: Any])
            for status in statuses {
                var response = try #require(responses[status], "\(status) of \(method) \(path)")
                if let reference = (response as? [String: Any])?["$ref"] as? String {
                    response = try #require(checker.resolve(reference), "\(reference)")
                }
                let content = try #require((response as? [String: Any])?["content"] as? [String: Any])
                #expect(content["application/json"] != nil, "\(status) of \(method) \(path)")
            }
        }
        for path in ["/v1/chat/completions", "/v1/completions"] {
            let ok = try #require(((paths[path] as? [String: Any])?["post"] as? [String: Any])?["responses"] as? [String: Any])
            let content = try #require((ok["200"] as? [String: Any])?["content"] as? [String: Any])
            #expect(content["text/event-stream"] != nil, "\(path)")
        }
    }

    @Test func encodedResponsesConform() throws {
        let document = try loadDocument()
        let usage = Usage(promptTokens: 3, completionTokens: 2, cachedTokens: 1)
        let logprobs = ChatLogprobs(content: [
            TokenLogprob(token: "a", logprob: -0.5, bytes: [97], topLogprobs: [TopLogprob(token: "a", logprob: -0.5, bytes: [97])])
        ])
        try expectConforms(
            ChatCompletion(
                id: OpenAIIdentifier.chatCompletion(), created: 1, model: "m", systemFingerprint: "fp_tern_0",
                choices: [
                    .init(index: 0, content: "a", logprobs: logprobs, finishReason: .stop), .init(index: 1, content: "", finishReason: .length),
                ],
                usage: usage), to: "ChatCompletion", in: document)
        for includeUsage in [false, true] {
            let stream = ChatCompletionChunk.Stream(
                id: OpenAIIdentifier.chatCompletion(), created: 1, model: "m", systemFingerprint: nil, includeUsage: includeUsage)
            for chunk in [
                stream.roleChunk(index: 0), stream.contentChunk(index: 0, text: "x", logprobs: logprobs), stream.finishChunk(index: 0, reason: .stop),
                stream.usageChunk(usage),
            ] {
                try expectConforms(chunk, to: "ChatCompletionChunk", in: document)
            }
        }
        let cmplLogprobs = CompletionLogprobs(tokens: ["a"], tokenLogprobs: [-1], topLogprobs: [["a": -1]], textOffset: [0])
        try expectConforms(
            Completion(
                id: OpenAIIdentifier.completion(), created: 1, model: "m", systemFingerprint: nil,
                choices: [.init(index: 0, text: "a", logprobs: cmplLogprobs, finishReason: .stop)], usage: usage), to: "Completion", in: document)
        try expectConforms(
            CompletionChunk(
                id: OpenAIIdentifier.completion(), created: 1, model: "m", systemFingerprint: nil,
                choices: [.init(index: 0, text: "a", finishReason: nil)],
                includesUsageKey: true), to: "CompletionChunk", in: document)
        try expectConforms(ModelList(data: [Model(id: "m", created: 1)]), to: "ModelList", in: document)
        try expectConforms(Model(id: "m", created: 1), to: "Model", in: document)
        for error in [OpenAIError.modelNotFound("m"), .invalidRequest("x", param: "n"), .overloaded()] {
            try expectConforms(error, to: "ErrorResponse", in: document)
        }
    }

    @Test func checkerRejectsNonConformingDocuments() throws {
        let document = try loadDocument()
        let checker = SchemaChecker(document: document)
        let model = try schema("Model", in: document)
        #expect(!checker.check(try JSONValue.parse(Array(#"{"id":"m","object":"model","created":"1","owned_by":"t"}"#.utf8)), against: model).isEmpty)
        #expect(!checker.check(try JSONValue.parse(Array(#"{"id":"m","object":"model","created":1}"#.utf8)), against: model).isEmpty)
        #expect(!checker.check(try JSONValue.parse(Array(#"{"id":"m","object":"list","created":1,"owned_by":"t"}"#.utf8)), against: model).isEmpty)
    }

    /// Requests the decoder accepts must also be valid by the document (and some it rejects, invalid).
    @Test(arguments: [
        (
            #"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"stop":["a"],"n":2}"#,
            true
        ),
        (#"{"model":"m","messages":[{"role":"assistant","content":null},{"role":"user","content":[{"type":"text","text":"x"}]}],"top_k":5}"#, true),
        (#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":3}"#, false),
        (#"{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[]}"#, false),
        (
            #"{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required"}"#,
            true
        ),
        (#"{"model":"m","messages":[]}"#, false),
    ])
    func chatRequestsAgreeWithTheDocument(body: String, valid: Bool) throws {
        let document = try loadDocument()
        let problems = SchemaChecker(document: document).check(
            try JSONValue.parse(Array(body.utf8)), against: try schema("ChatCompletionRequest", in: document))
        #expect(problems.isEmpty == valid, "\(problems)")
        let decoded = Result { () throws(OpenAIError) in try ChatCompletionRequest.decode(from: Array(body.utf8)) }
        #expect((try? decoded.get()) != nil || !valid)
        #expect((try? decoded.get()) == nil || valid)
    }

    @Test func completionRequestAgreesWithTheDocument() throws {
        let document = try loadDocument()
        let body = #"{"model":"m","prompt":["a","b"],"max_tokens":4,"logprobs":2,"echo":false}"#
        _ = try CompletionRequest.decode(from: Array(body.utf8))
        let problems = SchemaChecker(document: document).check(
            try JSONValue.parse(Array(body.utf8)), against: try schema("CompletionRequest", in: document))
        #expect(problems.isEmpty, "\(problems)")
    }
}
