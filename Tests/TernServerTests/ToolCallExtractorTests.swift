import TernGrammar
import TernOpenAI
import Testing

@testable import TernServer

@Suite struct ToolCallExtractorTests {
    static let answer =
        "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris \\\"}{\", \"days\": [1, 2]}}\n</tool_call>\n"
        + "<tool_call>{\"name\":\"get_time\",\"arguments\":{}}</tool_call>"

    func parse(_ text: String) -> (content: String?, calls: [ToolCall]) {
        var parser = AnswerParser(thinking: false, startsThinking: false, tools: .hermes)
        let (content, _, calls) = parser.parse(text)
        return (content, calls)
    }

    @Test func wholeTextSplitsIntoContentAndCalls() {
        let (content, calls) = parse(Self.answer)
        #expect(content == "Let me check.")
        #expect(calls.map(\.name) == ["get_weather", "get_time"])
        #expect(calls.map(\.arguments) == [#"{"city": "Paris \"}{", "days": [1, 2]}"#, "{}"])
        #expect(calls.allSatisfy { $0.id.hasPrefix("call_") } && Set(calls.map(\.id)).count == 2)
    }

    @Test func onlyCallsMeansNoContent() {
        let (content, calls) = parse("\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>\n")
        #expect(content == nil)
        #expect(calls.count == 1)
    }

    @Test func textWithoutCallsIsContentEvenWithAngleBrackets() {
        let text = "a < b and <tool is not a call\n"
        #expect(parse(text).content == text)
        #expect(parse("  ").content == "  ")
    }

    /// Streaming in any pieces gives what the whole text gives, with the id and name before any argument.
    @Test func anySplitOfTheStreamGivesTheSameCalls() {
        for size in [1, 2, 3, 5, 7, 11, 64] {
            let parts = AnswerParts(Self.answer, size: size, tools: .hermes)
            #expect(parts.ordered, "size \(size)")
            #expect(parts.content == "Let me check.", "size \(size)")
            #expect(parts.names == ["get_weather", "get_time"], "size \(size)")
            #expect(parts.arguments == [#"{"city": "Paris \"}{", "days": [1, 2]}"#, "{}"], "size \(size)")
        }
    }

    @Test func llama3AnswersAreACallWhenTheyStartWithTheObject() {
        for size in [1, 3, 100] {
            let call = AnswerParts(#" {"name": "get_weather", "parameters": {"city": "Paris"}}"#, size: size, tools: .llama3)
            #expect(call.content == "" && call.names == ["get_weather"] && call.arguments == [#"{"city": "Paris"}"#], "size \(size)")
            let text = AnswerParts(#"Use {"name": "x", "parameters": {}} like this."#, size: size, tools: .llama3)
            #expect(text.content == #"Use {"name": "x", "parameters": {}} like this."# && text.names.isEmpty, "size \(size)")
        }
    }
}

extension ToolCallExtractorTests {
    /// Mistral's two forms, streamed in any pieces: the calls, their 9-character ids, and the text before them.
    @Test func mistralCallsInEitherFormSplitAlike() {
        let forms: [(ToolCallFormat, String)] = [
            (
                .mistralArray,
                #"Checking.[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris ]}"}}, {"name":"get_time","arguments":{}}]"#
            ),
            (.mistralNamed, #"Checking.[TOOL_CALLS]get_weather[ARGS]{"city": "Paris ]}"}[TOOL_CALLS]get_time[ARGS]{}"#),
        ]
        for (format, answer) in forms {
            for size in [1, 2, 5, 13, 200] {
                let parts = AnswerParts(answer, size: size, tools: format)
                #expect(parts.ordered, "\(format.layout) size \(size)")
                #expect(parts.content == "Checking.", "\(format.layout) size \(size)")
                #expect(parts.names == ["get_weather", "get_time"], "\(format.layout) size \(size)")
                #expect(parts.arguments == [#"{"city": "Paris ]}"}"#, "{}"], "\(format.layout) size \(size)")
            }
            var parser = AnswerParser(thinking: false, startsThinking: false, tools: format)
            let (_, _, calls) = parser.parse(answer)
            #expect(calls.count == 2 && calls.allSatisfy { $0.id.count == 9 && $0.id.allSatisfy { $0.isLetter || $0.isNumber } })
        }
    }
}

extension ToolCallExtractorTests {
    /// What a Mistral model may write beyond the grammar's shape: an id after Nemo's arguments, Small 3.2's
    /// `[CALL_ID]` from its history, text after the array.
    @Test func mistralVariantsKeepNameAndText() {
        let nemo = AnswerParts(#"[TOOL_CALLS][{"name": "f", "arguments": {"a": 1}, "id": "a1B2c3D4e"}] done"#, size: 3, tools: .mistralArray)
        #expect(nemo.names == ["f"] && nemo.arguments == [#"{"a": 1}"#] && nemo.content == " done")
        let small = AnswerParts(#"[TOOL_CALLS]f[CALL_ID]a1B2c3D4e[ARGS]{"a": 1}"#, size: 4, tools: .mistralNamed)
        #expect(small.names == ["f"] && small.arguments == [#"{"a": 1}"#])
        let trailing = AnswerParts(#"[TOOL_CALLS][{"name": "f", "arguments": {}}]x"#, size: 1, tools: .mistralArray)
        #expect(trailing.content == "x")
    }
}

extension ToolCallExtractorTests {
    /// Llama 3.1 after `<|python_tag|>`, streamed in any pieces: a function's object, a built-in's `name.call(…)`,
    /// code_interpreter's code; text before the tag is content.
    @Test func llamaPythonTagCallsSplitAlike() {
        var format = ToolCallFormat.llama3
        format.builtins = ["brave_search": ["query"], "code_interpreter": ["code"]]
        for size in [1, 2, 5, 200] {
            let object = AnswerParts(#"<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}"#, size: size, tools: format)
            #expect(object.content == "" && object.names == ["get_weather"] && object.arguments == [#"{"city": "Paris"}"#], "size \(size)")
            let search = AnswerParts(#"Looking. <|python_tag|>brave_search.call(query="weather \"today\"")"#, size: size, tools: format)
            #expect(search.content == "Looking." && search.names == ["brave_search"], "size \(size)")
            #expect(search.arguments == [#"{"query":"weather \"today\""}"#], "size \(size)")
            let code = AnswerParts("<|python_tag|>import math\nprint(\"pi\", math.pi)", size: size, tools: format)
            #expect(code.ordered && code.names == ["code_interpreter"], "size \(size)")
            #expect(code.arguments == [#"{"code":"import math\nprint(\"pi\", math.pi)"}"#], "size \(size)")
            // A call of a built-in with parameters it does not take is code, as the grammar read it.
            let odd = AnswerParts(#"<|python_tag|>brave_search.call(q="x")"#, size: size, tools: format)
            #expect(odd.names == ["code_interpreter"] && odd.arguments == [#"{"code":"brave_search.call(q=\"x\")"}"#], "size \(size)")
        }
        // Without code_interpreter, text after the tag that is no call stays text; a short code answer is still code.
        let text = AnswerParts("<|python_tag|>print(1)", size: 3, tools: .llama3)
        #expect(text.names.isEmpty && text.content == "<|python_tag|>print(1)")
        let short = AnswerParts("<|python_tag|>pi", size: 1, tools: format)
        #expect(short.names == ["code_interpreter"] && short.arguments == [#"{"code":"pi"}"#])
        // Code streamed in pieces that split a character (a combining accent) keeps every scalar.
        var parser = AnswerParser(thinking: false, startsThinking: false, tools: format)
        let events = parser.feed("<|python_tag|>print(\"e") + parser.feed("\u{301}\")") + parser.finish()
        let arguments = events.map { if case .arguments(_, let text) = $0 { text } else { "" } }.joined()
        #expect(arguments == "{\"code\":\"print(\\\"e\u{301}\\\")\"}")
    }
}
