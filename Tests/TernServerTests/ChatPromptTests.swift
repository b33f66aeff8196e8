import Foundation
import TernOpenAI
import TernTokenizer
import Testing

@testable import TernServer

/// What the chat template gets for a tool conversation: the native form for templates with tool syntax, the generic
/// form for the others.
@Suite struct ChatPromptTests {
    static let conversation = #"""
        {"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in Paris?"},
         {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]},
         {"role":"tool","tool_call_id":"call_1","content":"18C"}],
         "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}
        """#

    func render(_ file: String, conversation: String = conversation, instructionsInUserMessage: Bool = false) throws -> (String, Bool) {
        let sources = try #require(ProcessInfo.processInfo.environment["TERN_LLAMA_SOURCES"], "scripts/test.sh sets TERN_LLAMA_SOURCES")
        let template = try ChatTemplate(source: String(contentsOfFile: "\(sources)/models/templates/\(file)", encoding: .utf8))
        let native = ChatPrompt.isNative(template)
        let prompt = ChatPrompt(
            try ChatCompletionRequest.decode(from: Array(conversation.utf8)), native: native,
            instructionsInUserMessage: instructionsInUserMessage)
        let text = try template.render(
            messageValues: prompt.messages, addGenerationPrompt: true, bosToken: "", eosToken: "", extra: prompt.extra)
        return (text, native)
    }

    @Test func qwenRendersTheToolsTheCallAndTheResultItself() throws {
        let (text, native) = try render("Qwen-Qwen2.5-7B-Instruct.jinja")
        #expect(native)
        #expect(text.contains(#""name": "get_weather""#) && text.contains("Weather now"))  // the tools, in the system prompt
        #expect(text.contains("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"))
        #expect(text.contains("<tool_response>\n18C\n</tool_response>"))
        #expect(text.contains("Be brief."))
    }

    @Test func aTemplateWithoutToolSyntaxGetsTheGenericForm() throws {
        let (text, native) = try render("microsoft-Phi-3.5-mini-instruct.jinja")
        #expect(!native)
        #expect(text.contains("Be brief.\n\nYou can call these functions"))
        #expect(text.contains(#"{"name":"get_weather","description":"Weather now","parameters":"#))
        #expect(text.contains("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Paris\"}}\n</tool_call>"))
        #expect(text.contains("<tool_response>\n18C\n</tool_response>"))
    }

    @Test func aTemplateThatRefusesSystemMessagesGetsTheInstructionsInTheUserMessage() throws {
        let conversation = Self.conversation.replacingOccurrences(of: #"{"role":"system","content":"Be brief."},"#, with: "")
        #expect(throws: (any Error).self) { try render("google-gemma-2-2b-it.jinja", conversation: conversation) }
        let (text, _) = try render("google-gemma-2-2b-it.jinja", conversation: conversation, instructionsInUserMessage: true)
        #expect(text.contains("<start_of_turn>user\nYou can call these functions"))
    }

    @Test func llama3RendersTheCallWithParametersAndTheResultAsIPython() throws {
        let (text, native) = try render("meta-llama-Llama-3.1-8B-Instruct.jinja")
        #expect(native)
        #expect(text.contains(#"{"name": "get_weather", "parameters": {"city": "Paris"}}"#))
        #expect(text.contains("<|start_header_id|>ipython<|end_header_id|>\n\n\"18C\""))
    }
}

extension ChatPromptTests {
    /// Mistral's templates refuse ids that are not 9 letters and digits; the ids Tern gives calls in their formats are.
    static let mistralConversation = conversation.replacingOccurrences(of: "call_1", with: "a1B2c3D4e")

    @Test func mistralNemoRendersTheCallsAsAnArrayWithTheirIds() throws {
        let (text, native) = try render("mistralai-Mistral-Nemo-Instruct-2407.jinja", conversation: Self.mistralConversation)
        #expect(native)
        #expect(text.contains(#"[AVAILABLE_TOOLS][{"type": "function", "function": {"name": "get_weather""#))
        #expect(text.contains(#"[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "a1B2c3D4e"}]"#))
        #expect(text.contains(#"[TOOL_RESULTS]{"content": 18C, "call_id": "a1B2c3D4e"}[/TOOL_RESULTS]"#))
    }

    /// Ids that are not 9 letters and digits (OpenAI's `call_…`, another server's) are replaced by ids derived from
    /// them, the same in the call and its result, so that Mistral's templates accept the conversation.
    @Test func mistralTemplatesGetFittedIds() throws {
        let sources = try #require(ProcessInfo.processInfo.environment["TERN_LLAMA_SOURCES"], "scripts/test.sh sets TERN_LLAMA_SOURCES")
        let template = try ChatTemplate(
            source: String(contentsOfFile: "\(sources)/models/templates/mistralai-Mistral-Nemo-Instruct-2407.jinja", encoding: .utf8))
        let chat = try ChatCompletionRequest.decode(from: Array(Self.conversation.utf8))
        let prompt = ChatPrompt(chat, native: true, callIDLength: ChatPrompt.format(of: template).callIDLength)
        let text = try template.render(messageValues: prompt.messages, addGenerationPrompt: true, bosToken: "", eosToken: "", extra: prompt.extra)
        let id = ChatPrompt.fittedCallID("call_1", length: 9)
        #expect(id.count == 9 && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(text.contains(#""id": "\#(id)"}]"#) && text.contains(#""call_id": "\#(id)"}"#))
        #expect(ChatPrompt.fittedCallID("a1B2c3D4e", length: 9) == "a1B2c3D4e")
        #expect(ChatPrompt.fittedCallID("call_2", length: 9) != id)
    }

    @Test func mistralSmallRendersEachCallByName() throws {
        let (text, native) = try render("Mistral-Small-3.2-24B-Instruct-2506.jinja", conversation: Self.mistralConversation)
        #expect(native)
        #expect(text.contains(#"[TOOL_CALLS]get_weather[CALL_ID]a1B2c3D4e[ARGS]{"city": "Paris"}"#))
        #expect(text.contains("[TOOL_RESULTS]a1B2c3D4e[TOOL_CONTENT]18C[/TOOL_RESULTS]"))
    }
}

extension ChatPromptTests {
    /// Llama 3.1's built-in tools: the template announces them (`Tools: brave_search`) and writes an earlier call of
    /// one in Python's form; functions of other names stay JSON. Their parameters must be strings.
    @Test func llamaBuiltinToolsGoToTheTemplatesBuiltinTools() throws {
        let sources = try #require(ProcessInfo.processInfo.environment["TERN_LLAMA_SOURCES"], "scripts/test.sh sets TERN_LLAMA_SOURCES")
        let template = try ChatTemplate(
            source: String(contentsOfFile: "\(sources)/models/templates/meta-llama-Llama-3.1-8B-Instruct.jinja", encoding: .utf8))
        let conversation = Self.conversation.replacingOccurrences(of: "get_weather", with: "brave_search")
            .replacingOccurrences(of: "city", with: "query")
        let chat = try ChatCompletionRequest.decode(from: Array(conversation.utf8))
        let builtins = try ChatPrompt.builtins(of: chat, template: template)
        #expect(builtins == ["brave_search": ["query"]])
        let prompt = ChatPrompt(chat, native: true, builtins: Array(builtins.keys))
        let text = try template.render(messageValues: prompt.messages, addGenerationPrompt: true, bosToken: "", eosToken: "", extra: prompt.extra)
        #expect(text.contains("Environment: ipython\nTools: brave_search\n"))
        #expect(text.contains(#"<|python_tag|>brave_search.call(query="Paris")<|eom_id|>"#))
        // Not a built-in's name, or a template without builtin_tools: nothing changes.
        #expect(try ChatPrompt.builtins(of: try ChatCompletionRequest.decode(from: Array(Self.conversation.utf8)), template: template).isEmpty)
        let qwen = try ChatTemplate(source: String(contentsOfFile: "\(sources)/models/templates/Qwen-Qwen2.5-7B-Instruct.jinja", encoding: .utf8))
        #expect(try ChatPrompt.builtins(of: chat, template: qwen).isEmpty)
        let numeric = conversation.replacingOccurrences(of: #""query":{"type":"string"}"#, with: #""query":{"type":"integer"}"#)
        #expect(throws: OpenAIError.self) {
            try ChatPrompt.builtins(of: try ChatCompletionRequest.decode(from: Array(numeric.utf8)), template: template)
        }
    }
}
