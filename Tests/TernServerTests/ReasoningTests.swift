import Foundation
import TernGrammar
import TernTokenizer
import Testing

@testable import TernServer

@Suite struct ReasoningTests {
    func parts(_ text: String, size: Int, startsThinking: Bool, tools: ToolCallFormat? = nil) -> AnswerParts {
        AnswerParts(text, size: size, thinking: true, startsThinking: startsThinking, tools: tools)
    }

    @Test func thinkingGoesToReasoningAtAnySplit() {
        for size in [1, 2, 3, 7, 100] {
            let opened = parts("<think>\nThe user greets me.\nI greet back.\n</think>\n\nHello!", size: size, startsThinking: false)
            #expect(opened.reasoning == "The user greets me.\nI greet back." && opened.content == "Hello!", "size \(size)")
            // The prompt opened the section (DeepSeek-R1's generation prompt ends with "<think>\n").
            let inside = parts("Two and two.\n</think>\n\nFour.", size: size, startsThinking: true)
            #expect(inside.reasoning == "Two and two." && inside.content == "Four.", "size \(size)")
            let plain = parts("No thinking here <think>x</think>", size: size, startsThinking: false)
            #expect(plain.reasoning == "" && plain.content == "No thinking here <think>x</think>", "size \(size)")
            let calls = parts(
                "<think>I need the weather.</think>\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call>", size: size,
                startsThinking: false, tools: .hermes)
            #expect(calls.reasoning == "I need the weather." && calls.content == "" && calls.names == ["get_weather"], "size \(size)")
        }
    }

    @Test func unfinishedThinkingIsReasoning() {
        var parser = AnswerParser(thinking: true, startsThinking: false, tools: nil)
        let (content, reasoning, _) = parser.parse("<think>Still thinking when the tokens ran o")
        #expect(reasoning == "Still thinking when the tokens ran o")
        #expect(content == "")
    }

    /// The real templates of reasoning models in llama.cpp's collection: where their generation prompt leaves the answer.
    @Test(arguments: [
        ("Qwen-Qwen3-0.6B.jinja", false), ("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", true),
        ("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", true),
    ])
    func realTemplatesOpenOrLeaveTheSection(file: String, opensInPrompt: Bool) throws {
        guard let sources = ProcessInfo.processInfo.environment["TERN_LLAMA_SOURCES"] else {
            Issue.record("TERN_LLAMA_SOURCES is not set (scripts/test.sh sets it)")
            return
        }
        let source = try String(contentsOfFile: "\(sources)/models/templates/\(file)", encoding: .utf8)
        let template = try ChatTemplate(source: source)
        #expect(Reasoning.isUsed(by: template))
        let text = try template.render(
            messageValues: [["role": "user", "content": "Hi"]], addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>",
            extra: Reasoning.variables(for: template))
        let state = Reasoning.promptState(text)
        #expect(state.startsThinking == opensInPrompt, "\(text.suffix(40))")
        #expect(!state.closed, "thinking is on: \(text.suffix(40))")
    }
}
