import Testing

@testable import TernOpenAI

@Suite struct ChatCompletionRequestTests {
    func decode(_ json: String) throws(OpenAIError) -> ChatCompletionRequest {
        try ChatCompletionRequest.decode(from: Array(json.utf8))
    }

    @Test func decodesPythonSDKStreamingRequest() throws {
        // As `client.chat.completions.create(model=..., messages=[...], stream=True,
        // stream_options={"include_usage": True}, temperature=0.2, max_tokens=64, stop=["\n\n"], seed=7)` sends it.
        let request = try decode(
            #"{"messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}], "model": "smollm2", "max_tokens": 64, "seed": 7, "stop": ["\n\n"], "stream": true, "stream_options": {"include_usage": true}, "temperature": 0.2}"#
        )
        #expect(request.model == "smollm2")
        #expect(request.messages == [ChatMessage(role: .system, content: .text("You are terse.")), ChatMessage(role: .user, content: .text("Hi"))])
        #expect(request.maxTokens == 64)
        #expect(request.completionTokenLimit == 64)
        #expect(request.stream)
        #expect(request.includeUsage)
        #expect(request.sampling.temperature == 0.2)
        #expect(request.sampling.seed == 7)
        #expect(request.sampling.stop == ["\n\n"])
        #expect(request.n == 1)
        #expect(!request.logprobs)
    }

    @Test func decodesResponseFormatsKeepingThePropertyOrder() throws {
        // As `client.chat.completions.parse(response_format=Person)` sends it (pydantic's schema, strict).
        let request = try decode(
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"schema":{"properties":{"zeta":{"title":"Zeta","type":"string"},"alpha":{"title":"Alpha","type":"integer"}},"required":["zeta","alpha"],"title":"Person","type":"object","additionalProperties":false},"name":"Person","strict":true}}}"#
        )
        guard case .jsonSchema(let format) = request.responseFormat, case .object(let schema)? = format.schema,
            case .object(let properties)? = schema["properties"]
        else {
            Issue.record("expected a json_schema format, got \(request.responseFormat)")
            return
        }
        #expect(format.name == "Person" && format.strict == true)
        #expect(properties.keys == ["zeta", "alpha"])
        #expect(
            try decode(#"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}"#).responseFormat
                == .jsonObject)
        #expect(try decode(#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#).responseFormat == .text)
    }

    @Test func decodesToolsChoicesAndAToolCallConversation() throws {
        // An agent loop's second request, as the SDK sends it: the assistant's call and the tool's result.
        let request = try decode(
            #"{"model":"m","messages":[{"role":"user","content":"Weather in Paris?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"18C"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}}],"tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":false}"#
        )
        #expect(request.tools.map(\.name) == ["get_weather"])
        #expect(request.tools[0].strict == true && request.tools[0].description == "Current weather")
        #expect(request.toolChoice == .function("get_weather"))
        #expect(!request.parallelToolCalls)
        #expect(request.messages[1].toolCalls == [ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city": "Paris"}"#)])
        #expect(request.messages[1].content == nil)
        #expect(request.messages[2].role == .tool && request.messages[2].toolCallID == "call_1" && request.messages[2].text == "18C")
        let auto = try decode(#"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}]}"#)
        #expect(auto.toolChoice == .auto && auto.parallelToolCalls)
        #expect(try decode(#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#).toolChoice == .none)
    }

    @Test func decodesContentPartsAndAssistantHistory() throws {
        // An assistant message passed back from a previous response (model_dump of the SDK object).
        let request = try decode(
            #"{"model":"m","messages":[{"role":"developer","content":[{"type":"text","text":"Be kind."}]},"#
                + #"{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"name":"ann"},"#
                + #"{"role":"assistant","content":"Hello","refusal":null,"tool_calls":null,"function_call":null,"audio":null,"annotations":[]},"#
                + #"{"role":"assistant","content":null},{"role":"user","content":"again"}],"#
                + #""max_completion_tokens":5,"n":2,"logprobs":true,"top_logprobs":3,"top_p":0.9,"presence_penalty":-1,"#
                + #""frequency_penalty":1.5,"logit_bias":{"50256":-100,"13":2.5},"user":"u-1","top_k":40,"min_p":0.05,"#
                + #""repetition_penalty":1.1,"stop":"END","response_format":{"type":"text"},"modalities":["text"],"store":false,"#
                + #""metadata":{"k":"v"},"service_tier":"auto","tools":null,"stream":false}"#)
        #expect(request.messages.count == 5)
        #expect(request.messages[0].role == .developer)
        #expect(request.messages[0].text == "Be kind.")
        #expect(request.messages[1].content == .parts([.text("a"), .text("b")]))
        #expect(request.messages[1].text == "a\nb")
        #expect(request.messages[1].name == "ann")
        #expect(request.messages[2] == ChatMessage(role: .assistant, content: .text("Hello")))
        #expect(request.messages[3].content == nil)
        #expect(request.messages[3].text == "")
        #expect(request.completionTokenLimit == 5)
        #expect(request.n == 2)
        #expect(request.logprobs)
        #expect(request.topLogprobs == 3)
        #expect(
            request.sampling
                == SamplingParameters(
                    topP: 0.9, topK: 40, minP: 0.05, repetitionPenalty: 1.1, presencePenalty: -1, frequencyPenalty: 1.5,
                    logitBias: [50256: -100, 13: 2.5], stop: ["END"]))
        #expect(request.user == "u-1")
        #expect(request.metadata == ["k": "v"])
        #expect(request.serviceTier == "auto")
        #expect(!request.includeUsage)
    }

    @Test func nullMeansAbsent() throws {
        let request = try decode(#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":null,"stop":null,"n":null}"#)
        #expect(request.sampling.temperature == nil)
        #expect(request.sampling.stop.isEmpty)
        #expect(request.n == 1)
    }

    @Test func integralDecimalsAreAcceptedAsIntegers() throws {
        let request = try decode(#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":16.0,"seed":-3}"#)
        #expect(request.maxTokens == 16)
        #expect(request.sampling.seed == -3)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var fields: String
        var param: String?
        var code: String?
        var messageContains: String
        var testDescription: String { fields }
    }

    static let base = #""model":"m","messages":[{"role":"user","content":"hi"}]"#

    static let fieldCases: [Case] = [
        Case(fields: #""temperature":"hot""#, param: "temperature", code: "invalid_type", messageContains: "expected a decimal, but got a string"),
        Case(fields: #""temperature":2.5"#, param: "temperature", code: "decimal_above_max_value", messageContains: "Expected a value <= 2"),
        Case(fields: #""temperature":-0.1"#, param: "temperature", code: "decimal_below_min_value", messageContains: ">= 0"),
        Case(fields: #""temperature":1e400"#, param: "temperature", code: "decimal_above_max_value", messageContains: "got inf"),
        Case(fields: #""top_p":0"#, param: "top_p", code: "decimal_below_min_value", messageContains: "> 0"),
        Case(fields: #""top_p":1.01"#, param: "top_p", code: "decimal_above_max_value", messageContains: "<= 1"),
        Case(fields: #""n":9"#, param: "n", code: "integer_above_max_value", messageContains: "<= 8, but got 9"),
        Case(fields: #""n":0"#, param: "n", code: "integer_below_min_value", messageContains: ">= 1"),
        Case(fields: #""n":1.5"#, param: "n", code: "invalid_type", messageContains: "expected an integer, but got a decimal"),
        Case(fields: #""n":true"#, param: "n", code: "invalid_type", messageContains: "got a boolean"),
        Case(fields: #""max_tokens":0"#, param: "max_tokens", code: "integer_below_min_value", messageContains: ">= 1"),
        Case(fields: #""max_tokens":1e30"#, param: "max_tokens", code: "invalid_type", messageContains: "an integer"),
        Case(fields: #""max_completion_tokens":-5"#, param: "max_completion_tokens", code: "integer_below_min_value", messageContains: "-5"),
        Case(fields: #""max_tokens":5,"max_completion_tokens":6"#, param: "max_tokens", code: "invalid_value", messageContains: "disagree"),
        Case(fields: #""stream":"yes""#, param: "stream", code: "invalid_type", messageContains: "expected a boolean"),
        Case(fields: #""stream_options":{"include_usage":true}"#, param: "stream_options", code: "invalid_value", messageContains: "only allowed"),
        Case(
            fields: #""stream":true,"stream_options":{"include_usage":1}"#, param: "stream_options.include_usage", code: "invalid_type",
            messageContains: "expected a boolean"),
        Case(
            fields: #""stream":true,"stream_options":{"x":1}"#, param: "stream_options.x", code: "unknown_parameter",
            messageContains: "Unrecognized argument"),
        Case(
            fields: #""stop":["a","b","c","d","e"]"#, param: "stop", code: "array_above_max_length", messageContains: "maximum length 4"),
        Case(fields: #""stop":["a",""]"#, param: "stop[1]", code: "empty_string", messageContains: "empty string"),
        Case(fields: #""stop":["a",3]"#, param: "stop[1]", code: "invalid_type", messageContains: "expected a string"),
        Case(fields: #""stop":5"#, param: "stop", code: "invalid_type", messageContains: "string or array of strings"),
        Case(fields: #""presence_penalty":2.1"#, param: "presence_penalty", code: "decimal_above_max_value", messageContains: "<= 2"),
        Case(fields: #""frequency_penalty":-3"#, param: "frequency_penalty", code: "decimal_below_min_value", messageContains: ">= -2"),
        Case(fields: #""logit_bias":{"abc":1}"#, param: "logit_bias", code: "invalid_value", messageContains: "non-negative integers"),
        Case(fields: #""logit_bias":{"-1":1}"#, param: "logit_bias", code: "invalid_value", messageContains: "non-negative integers"),
        Case(fields: #""logit_bias":{"5":101}"#, param: "logit_bias.5", code: "decimal_above_max_value", messageContains: "<= 100"),
        Case(fields: #""logit_bias":{"5":"x"}"#, param: "logit_bias.5", code: "invalid_type", messageContains: "a decimal"),
        Case(fields: #""logit_bias":[1]"#, param: "logit_bias", code: "invalid_type", messageContains: "expected an object"),
        Case(fields: #""logprobs":1"#, param: "logprobs", code: "invalid_type", messageContains: "expected a boolean"),
        Case(fields: #""top_logprobs":2"#, param: "top_logprobs", code: "invalid_value", messageContains: "'logprobs' must be set"),
        Case(fields: #""logprobs":true,"top_logprobs":21"#, param: "top_logprobs", code: "integer_above_max_value", messageContains: "<= 20"),
        Case(fields: #""seed":"1""#, param: "seed", code: "invalid_type", messageContains: "an integer"),
        Case(fields: #""seed":1.5"#, param: "seed", code: "invalid_type", messageContains: "an integer"),
        Case(fields: #""user":5"#, param: "user", code: "invalid_type", messageContains: "a string"),
        Case(fields: #""top_k":-1"#, param: "top_k", code: "integer_below_min_value", messageContains: ">= 0"),
        Case(fields: #""min_p":1.5"#, param: "min_p", code: "decimal_above_max_value", messageContains: "<= 1"),
        Case(fields: #""repetition_penalty":0"#, param: "repetition_penalty", code: "decimal_below_min_value", messageContains: "> 0"),
        Case(fields: #""tools":[]"#, param: "tools", code: "empty_array", messageContains: "empty array"),
        Case(fields: #""tool_choice":"none""#, param: "tool_choice", code: "invalid_value", messageContains: "only allowed when 'tools'"),
        Case(
            fields: #""tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}"#,
            param: "tool_choice.function.name", code: "invalid_value", messageContains: "'g' is not among"),
        Case(
            fields: #""tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"always""#, param: "tool_choice",
            code: "invalid_value", messageContains: "'always'"),
        Case(
            fields: #""tools":[{"type":"function","function":{"name":"get weather"}}]"#, param: "tools[0].function.name",
            code: "invalid_value", messageContains: "pattern"),
        Case(
            fields: #""tools":[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"f"}}]"#, param: "tools[1]",
            code: "invalid_value", messageContains: "twice"),
        Case(
            fields: #""tools":[{"type":"function","function":{"name":"f"}}],"response_format":{"type":"json_object"}"#,
            param: "response_format", code: "invalid_value", messageContains: "tool_choice"),
        Case(fields: #""functions":[{"name":"f"}]"#, param: "functions", code: "unsupported_parameter", messageContains: "functions"),
        Case(fields: #""function_call":"auto""#, param: "function_call", code: "unsupported_parameter", messageContains: "function_call"),
        Case(fields: #""parallel_tool_calls":1"#, param: "parallel_tool_calls", code: "invalid_type", messageContains: "a boolean"),
        Case(fields: #""audio":{"voice":"alloy"}"#, param: "audio", code: "unsupported_parameter", messageContains: "audio"),
        Case(fields: #""prediction":{}"#, param: "prediction", code: "unsupported_parameter", messageContains: "prediction"),
        Case(fields: #""web_search_options":{}"#, param: "web_search_options", code: "unsupported_parameter", messageContains: "web_search"),
        Case(fields: #""reasoning_effort":"low""#, param: "reasoning_effort", code: "unsupported_parameter", messageContains: "reasoning"),
        Case(
            fields: #""response_format":{"type":"xml"}"#, param: "response_format.type", code: "unsupported_value",
            messageContains: "'xml'"),
        Case(
            fields: #""response_format":{"type":"json_schema","json_schema":{"name":"a b","schema":{}}}"#,
            param: "response_format.json_schema.name", code: "invalid_value", messageContains: "pattern"),
        Case(
            fields: #""response_format":{"type":"json_schema"}"#, param: "response_format.json_schema", code: "missing_required_parameter",
            messageContains: "json_schema"),
        Case(
            fields: #""response_format":{"type":"json_schema","json_schema":{"name":"a","schema":[]}}"#,
            param: "response_format.json_schema.schema", code: "invalid_type", messageContains: "an object"),
        Case(fields: #""response_format":"text""#, param: "response_format", code: "invalid_type", messageContains: "an object"),
        Case(fields: #""modalities":["text","audio"]"#, param: "modalities", code: "unsupported_value", messageContains: "'audio'"),
        Case(fields: #""service_tier":"flex""#, param: "service_tier", code: "unsupported_value", messageContains: "'flex'"),
        Case(fields: #""store":true"#, param: "store", code: "unsupported_value", messageContains: "store"),
        Case(fields: #""metadata":{"k":1}"#, param: "metadata.k", code: "invalid_type", messageContains: "a string"),
        Case(fields: #""frobnicate":1"#, param: "frobnicate", code: nil, messageContains: "Unrecognized request argument supplied: frobnicate"),
        Case(fields: #""zeta":1,"alpha":2"#, param: "alpha", code: nil, messageContains: "Unrecognized request arguments supplied: alpha, zeta"),
    ]

    @Test(arguments: fieldCases)
    func rejectsInvalidField(_ testCase: Case) throws {
        let error = try #require(chatError("{\(Self.base),\(testCase.fields)}"))
        #expect(error.status == 400)
        #expect(error.type == "invalid_request_error")
        #expect(error.param == testCase.param)
        #expect(error.code == testCase.code)
        #expect(error.message.contains(testCase.messageContains), "\(error.message)")
    }

    static let messageCases: [Case] = [
        Case(fields: #""messages":[]"#, param: "messages", code: "empty_array", messageContains: "empty array"),
        Case(fields: #""messages":"hi""#, param: "messages", code: "invalid_type", messageContains: "expected an array"),
        Case(fields: #""messages":[5]"#, param: "messages[0]", code: "invalid_type", messageContains: "expected an object"),
        Case(fields: #""messages":[{"content":"x"}]"#, param: "messages[0].role", code: "missing_required_parameter", messageContains: "role"),
        Case(fields: #""messages":[{"role":"robot","content":"x"}]"#, param: "messages[0].role", code: "invalid_value", messageContains: "'robot'"),
        Case(
            fields: #""messages":[{"role":"function","content":"x","name":"f"}]"#, param: "messages[0].role", code: "unsupported_value",
            messageContains: "'function'"),
        Case(
            fields: #""messages":[{"role":"tool","content":"x"}]"#, param: "messages[0].tool_call_id", code: "missing_required_parameter",
            messageContains: "tool_call_id"),
        Case(fields: #""messages":[{"role":"user"}]"#, param: "messages[0].content", code: "missing_required_parameter", messageContains: "content"),
        Case(
            fields: #""messages":[{"role":"user","content":null}]"#, param: "messages[0].content", code: "missing_required_parameter",
            messageContains: "content"),
        Case(
            fields: #""messages":[{"role":"user","content":"a"},{"role":"user","content":7}]"#, param: "messages[1].content", code: "invalid_type",
            messageContains: "expected one of a string or array of objects, but got an integer"),
        Case(
            fields: #""messages":[{"role":"user","content":[]}]"#, param: "messages[0].content", code: "empty_array", messageContains: "empty array"),
        Case(
            fields: #""messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"x"}}]}]"#,
            param: "messages[0].content[1].type", code: "unsupported_value", messageContains: "'image_url'"),
        Case(
            fields: #""messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]"#, param: "messages[0].content[0].type",
            code: "unsupported_value", messageContains: "input_audio"),
        Case(
            fields: #""messages":[{"role":"user","content":[{"type":"file","file":{}}]}]"#, param: "messages[0].content[0].type",
            code: "unsupported_value", messageContains: "file"),
        Case(
            fields: #""messages":[{"role":"user","content":[{"type":"video"}]}]"#, param: "messages[0].content[0].type", code: "invalid_value",
            messageContains: "'video'"),
        Case(
            fields: #""messages":[{"role":"user","content":[{"type":"text"}]}]"#, param: "messages[0].content[0].text",
            code: "missing_required_parameter", messageContains: "text"),
        Case(
            fields: #""messages":[{"role":"user","content":[{"type":"text","text":"a","extra":1}]}]"#, param: "messages[0].content[0].extra",
            code: "unknown_parameter", messageContains: "extra"),
        Case(
            fields: #""messages":[{"role":"user","content":[{"type":"refusal","refusal":"no"}]}]"#, param: "messages[0].content[0].type",
            code: "unsupported_value", messageContains: "refusal"),
        Case(
            fields: #""messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"1"}]}]"#, param: "messages[0].tool_calls[0].type",
            code: "missing_required_parameter", messageContains: "type"),
        Case(
            fields: #""messages":[{"role":"user","content":"x","tool_calls":null}]"#, param: "messages[0].tool_calls", code: "unknown_parameter",
            messageContains: "tool_calls"),
        Case(
            fields: #""messages":[{"role":"user","content":"x","name":1}]"#, param: "messages[0].name", code: "invalid_type",
            messageContains: "a string"),
        Case(fields: #""messages":[{"role":"user","content":"x"}],"model":7"#, param: "model", code: "invalid_type", messageContains: "a string"),
    ]

    @Test(arguments: messageCases)
    func rejectsInvalidMessages(_ testCase: Case) throws {
        // Later duplicate keys win, so these override the base's "messages" (and "model").
        let error = try #require(chatError("{\(Self.base),\(testCase.fields)}"))
        #expect(error.status == 400)
        #expect(error.param == testCase.param)
        #expect(error.code == testCase.code)
        #expect(error.message.contains(testCase.messageContains), "\(error.message)")
    }

    @Test func requiresModelAndMessages() throws {
        let noModel = try #require(chatError(#"{"messages":[{"role":"user","content":"x"}]}"#))
        #expect(noModel.param == "model")
        #expect(noModel.message == "Missing required parameter: 'model'.")
        let noMessages = try #require(chatError(#"{"model":"m"}"#))
        #expect(noMessages.param == "messages")
    }

    @Test(arguments: ["", "{", "not json", "{\"model\": NaN}", "[1,2]", "\"text\"", "{\"model\":\"m\",}"])
    func rejectsMalformedBodies(body: String) throws {
        let error = try #require(chatError(body))
        #expect(error.status == 400)
        #expect(error.type == "invalid_request_error")
        #expect(error.param == nil)
    }

    @Test func malformedJSONUsesOpenAIWording() throws {
        let error = try #require(chatError("{"))
        #expect(error.message.hasPrefix("We could not parse the JSON body of your request."))
    }

    @Test func rejectsHostileBodiesWithoutTrapping() throws {
        let deep = String(repeating: "[", count: 100_000)
        #expect(chatError(#"{"model":"m","messages":"# + deep)?.status == 400)
        var invalidUTF8 = Array(#"{"model":"m","messages":[{"role":"user","content":""#.utf8)
        invalidUTF8 += [0xFF, 0xFE]
        invalidUTF8 += Array(#""}]}"#.utf8)
        #expect(throws: OpenAIError.self) { try ChatCompletionRequest.decode(from: invalidUTF8) }
        let hugeNumber = "{\(Self.base),\"max_tokens\":" + String(repeating: "9", count: 5000) + "}"
        #expect(chatError(hugeNumber)?.param == "max_tokens")
    }
}
