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
        let characters = Array(Self.answer)
        for size in [1, 2, 3, 5, 7, 11, 64] {
            var extractor = ToolCallExtractor(format: .hermes)
            var events: [ToolCallExtractor.Event] = []
            var index = 0
            while index < characters.count {
                events += extractor.feed(String(characters[index..<min(index + size, characters.count)]))
                index += size
            }
            events += extractor.finish()
            var content = ""
            var names: [String] = []
            var arguments: [String] = []
            for event in events {
                switch event {
                case .content(let text): content += text
                case .callStart(let call, _, let name):
                    #expect(call == names.count)
                    names.append(name)
                    arguments.append("")
                case .arguments(let call, let fragment):
                    #expect(call == names.count - 1)
                    arguments[call] += fragment
                }
            }
            #expect(content == "Let me check.", "size \(size)")
            #expect(names == ["get_weather", "get_time"], "size \(size)")
            #expect(arguments == [#"{"city": "Paris \"}{", "days": [1, 2]}"#, "{}"], "size \(size)")
        }
    }

    @Test func llama3AnswersAreACallWhenTheyStartWithTheObject() {
        func parse(_ text: String, size: Int) -> (content: String, calls: [String], arguments: String) {
            var parser = AnswerParser(thinking: false, startsThinking: false, tools: .llama3)
            var events: [AnswerParser.Event] = []
            let characters = Array(text)
            var index = 0
            while index < characters.count {
                events += parser.feed(String(characters[index..<min(index + size, characters.count)]))
                index += size
            }
            events += parser.finish()
            var content = ""
            var calls: [String] = []
            var arguments = ""
            for event in events {
                switch event {
                case .content(let text): content += text
                case .callStart(_, _, let name): calls.append(name)
                case .arguments(_, let fragment): arguments += fragment
                case .reasoning: break
                }
            }
            return (content, calls, arguments)
        }
        for size in [1, 3, 100] {
            let call = parse(#" {"name": "get_weather", "parameters": {"city": "Paris"}}"#, size: size)
            #expect(call.content == "" && call.calls == ["get_weather"] && call.arguments == #"{"city": "Paris"}"#, "size \(size)")
            let text = parse(#"Use {"name": "x", "parameters": {}} like this."#, size: size)
            #expect(text.content == #"Use {"name": "x", "parameters": {}} like this."# && text.calls.isEmpty, "size \(size)")
        }
    }
}
