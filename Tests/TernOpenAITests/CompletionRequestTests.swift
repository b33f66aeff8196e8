import Testing

@testable import TernOpenAI

@Suite struct CompletionRequestTests {
    func decode(_ json: String) throws(OpenAIError) -> CompletionRequest {
        try CompletionRequest.decode(from: Array(json.utf8))
    }

    @Test func decodesPythonSDKRequestWithDefaults() throws {
        // client.completions.create(model="m", prompt="Once upon a time")
        let request = try decode(#"{"model": "m", "prompt": "Once upon a time"}"#)
        #expect(request.prompts == ["Once upon a time"])
        #expect(request.maxTokens == 16)
        #expect(request.n == 1)
        #expect(!request.stream)
        #expect(request.logprobs == nil)
        #expect(request.sampling == SamplingParameters())
    }

    @Test func numbersChoicesAcrossPrompts() throws {
        let request = try decode(
            #"{"model":"m","prompt":["a","b","c"],"n":2,"max_tokens":5,"logprobs":3,"echo":false,"best_of":2,"suffix":null,"#
                + #""stream":true,"stream_options":{"include_usage":true},"stop":["\n"],"temperature":0,"seed":1,"top_k":1}"#)
        #expect(request.prompts == ["a", "b", "c"])
        #expect(request.choiceCount == 6)
        #expect(request.choiceIndex(prompt: 0, choice: 1) == 1)
        #expect(request.choiceIndex(prompt: 2, choice: 0) == 4)
        #expect(request.maxTokens == 5)
        #expect(request.logprobs == 3)
        #expect(request.includeUsage)
        #expect(request.sampling.stop == ["\n"])
        #expect(request.sampling.temperature == 0)
        #expect(request.sampling.topK == 1)
    }

    @Test(
        arguments: [
            (#""prompt":[1,2,3]"#, "prompt", "unsupported_value"),
            (#""prompt":[[1,2],[3]]"#, "prompt", "unsupported_value"),
            (#""prompt":[]"#, "prompt", "empty_array"),
            (#""prompt":["a",null]"#, "prompt[1]", "invalid_type"),
            (#""prompt":{"a":1}"#, "prompt", "invalid_type"),
            (#""logprobs":6"#, "logprobs", "integer_above_max_value"),
            (#""logprobs":true"#, "logprobs", "invalid_type"),
            (#""echo":true"#, "echo", "unsupported_value"),
            (#""suffix":"end""#, "suffix", "unsupported_parameter"),
            (#""best_of":3"#, "best_of", "unsupported_value"),
            (#""max_tokens":0"#, "max_tokens", "integer_below_min_value"),
            (#""temperature":3"#, "temperature", "decimal_above_max_value"),
            (#""messages":[]"#, "messages", nil),
            (#""stream_options":{"include_usage":true}"#, "stream_options", "invalid_value"),
        ] as [(String, String, String?)])
    func rejectsInvalidField(fields: String, param: String, code: String?) throws {
        let error = try #require(completionError(#"{"model":"m","prompt":"p","# + fields + "}"))
        #expect(error.status == 400)
        #expect(error.param == param)
        #expect(error.code == code)
    }

    @Test func requiresPrompt() throws {
        let error = try #require(completionError(#"{"model":"m"}"#))
        #expect(error.param == "prompt")
        #expect(error.code == "missing_required_parameter")
    }
}
