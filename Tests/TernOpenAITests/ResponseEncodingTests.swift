import Foundation
import Testing

@testable import TernOpenAI

@Suite struct ResponseEncodingTests {
    static let usage = Usage(promptTokens: 9, completionTokens: 3, cachedTokens: 4)
    static let usageJSON = #"""
        {"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,
         "prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},
         "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}
        """#

    @Test func chatCompletion() throws {
        let completion = ChatCompletion(
            id: "chatcmpl-abc", created: 1_700_000_000, model: "smollm2", systemFingerprint: "fp_tern_0.1.0",
            choices: [ChatCompletion.Choice(index: 0, content: "Hello!", finishReason: .stop)], usage: Self.usage)
        try expectEncoding(
            completion,
            equals: #"""
                {"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,"model":"smollm2",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"Hello!","refusal":null,"annotations":[]},
                             "logprobs":null,"finish_reason":"stop"}],
                 "usage":\#(Self.usageJSON),"service_tier":"default","system_fingerprint":"fp_tern_0.1.0"}
                """#)
    }

    @Test func chatCompletionWithLogprobs() throws {
        let logprobs = ChatLogprobs(content: [
            TokenLogprob(
                token: "Hi", logprob: -0.25, bytes: [72, 105],
                topLogprobs: [
                    TopLogprob(token: "Hi", logprob: -0.25, bytes: [72, 105]), TopLogprob(token: "é", logprob: -.infinity, bytes: [195, 169]),
                ])
        ])
        let choice = ChatCompletion.Choice(index: 1, content: "Hi", logprobs: logprobs, finishReason: .length)
        try expectEncoding(
            choice,
            equals: #"""
                {"index":1,"message":{"role":"assistant","content":"Hi","refusal":null,"annotations":[]},
                 "logprobs":{"content":[{"token":"Hi","logprob":-0.25,"bytes":[72,105],
                   "top_logprobs":[{"token":"Hi","logprob":-0.25,"bytes":[72,105]},{"token":"é","logprob":-9999,"bytes":[195,169]}]}],
                   "refusal":null},
                 "finish_reason":"length"}
                """#)
    }

    @Test func chatStreamWithoutUsage() throws {
        let stream = ChatCompletionChunk.Stream(id: "chatcmpl-x", created: 7, model: "m", systemFingerprint: nil, includeUsage: false)
        let head = #""id":"chatcmpl-x","object":"chat.completion.chunk","created":7,"model":"m","service_tier":"default","system_fingerprint":null"#
        try expectEncoding(
            stream.roleChunk(index: 0),
            equals:
                #"{\#(head),"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}"#)
        try expectEncoding(
            stream.contentChunk(index: 0, text: "Hel"),
            equals: #"{\#(head),"choices":[{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}]}"#)
        try expectEncoding(
            stream.finishChunk(index: 0, reason: .stop),
            equals: #"{\#(head),"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"#)
    }

    @Test func chatStreamWithUsage() throws {
        let stream = ChatCompletionChunk.Stream(id: "chatcmpl-x", created: 7, model: "m", systemFingerprint: "fp_tern_1", includeUsage: true)
        let head =
            #""id":"chatcmpl-x","object":"chat.completion.chunk","created":7,"model":"m","service_tier":"default","system_fingerprint":"fp_tern_1""#
        try expectEncoding(
            stream.contentChunk(index: 0, text: "a"),
            equals: #"{\#(head),"choices":[{"index":0,"delta":{"content":"a"},"logprobs":null,"finish_reason":null}],"usage":null}"#)
        try expectEncoding(stream.usageChunk(Self.usage), equals: #"{\#(head),"choices":[],"usage":\#(Self.usageJSON)}"#)
    }

    @Test func textCompletionAndChunks() throws {
        let completion = Completion(
            id: "cmpl-1", created: 3, model: "m", systemFingerprint: "fp_tern_1",
            choices: [
                Completion.Choice(
                    index: 0, text: " there",
                    logprobs: CompletionLogprobs(tokens: [" there"], tokenLogprobs: [-1.5], topLogprobs: [[" there": -1.5]], textOffset: [5]),
                    finishReason: .length)
            ], usage: Self.usage)
        try expectEncoding(
            completion,
            equals: #"""
                {"id":"cmpl-1","object":"text_completion","created":3,"model":"m","system_fingerprint":"fp_tern_1",
                 "choices":[{"text":" there","index":0,"finish_reason":"length",
                   "logprobs":{"tokens":[" there"],"token_logprobs":[-1.5],"top_logprobs":[{" there":-1.5}],"text_offset":[5]}}],
                 "usage":\#(Self.usageJSON)}
                """#)
        let middle = CompletionChunk(
            id: "cmpl-1", created: 3, model: "m", systemFingerprint: nil, choices: [Completion.Choice(index: 2, text: "x", finishReason: nil)],
            includesUsageKey: true)
        try expectEncoding(
            middle,
            equals: #"""
                {"id":"cmpl-1","object":"text_completion","created":3,"model":"m","system_fingerprint":null,
                 "choices":[{"text":"x","index":2,"logprobs":null,"finish_reason":null}],"usage":null}
                """#)
        let last = CompletionChunk(id: "cmpl-1", created: 3, model: "m", systemFingerprint: nil, choices: [], usage: Self.usage)
        let object = try #require(try foundationJSON(OpenAIJSON.encode(last)) as? [String: Any])
        #expect((object["choices"] as? [Any])?.isEmpty == true)
        #expect((object["usage"] as? [String: Any])?["total_tokens"] as? Int == 12)
    }

    @Test func models() throws {
        try expectEncoding(
            ModelList(data: [Model(id: "smollm2", created: 10), Model(id: "other", created: 11, ownedBy: "me")]),
            equals: #"""
                {"object":"list","data":[{"id":"smollm2","object":"model","created":10,"owned_by":"tern"},
                                         {"id":"other","object":"model","created":11,"owned_by":"me"}]}
                """#)
    }

    @Test func slashesAndUnicodeAreNotMangled() throws {
        let data = OpenAIJSON.encode(Model(id: "org/model-é", created: 0))
        #expect(String(decoding: data, as: UTF8.self).contains("org/model-é"))
    }
}
