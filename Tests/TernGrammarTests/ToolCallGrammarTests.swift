import Foundation
import TernJSON
import Testing

@testable import TernGrammar
@testable import TernTokenizer

@Suite struct ToolCallGrammarTests {
    static let functions = [
        ToolCallGrammar.Function(
            name: "get_weather",
            parameters: try! JSONValue.parse(
                Array(#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}"#.utf8))),
        ToolCallGrammar.Function(name: "get_time", parameters: nil),
    ]

    @Test func requiredCallsFollowTheParameters() throws {
        let (grammar, trigger) = try ToolCallGrammar.grammar(functions: Self.functions, format: .hermes, mode: .required, parallel: true)
        #expect(trigger == nil)
        let one = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"
        #expect(grammar.accepts(Array(one.utf8)))
        #expect(grammar.accepts(Array((one + "\n<tool_call>{\"name\":\"get_time\",\"arguments\":{\"zone\":1}}</tool_call>").utf8)))
        #expect(!grammar.accepts(Array("Sure! \(one)".utf8)))
        #expect(!grammar.accepts(Array(one.replacingOccurrences(of: "Paris\"", with: "Paris\", \"x\": 1").utf8)))
        #expect(!grammar.accepts(Array(one.replacingOccurrences(of: "get_weather", with: "get_wether").utf8)))
        #expect(!grammar.accepts(Array("<tool_call>{\"arguments\": {}, \"name\": \"get_time\"}</tool_call>".utf8)))
    }

    @Test func oneCallWhenNotParallel() throws {
        let (grammar, _) = try ToolCallGrammar.grammar(functions: Self.functions, format: .hermes, mode: .required, parallel: false)
        let call = "<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>"
        #expect(grammar.accepts(Array(call.utf8)))
        #expect(!grammar.accepts(Array((call + call).utf8)))
    }

    @Test func afterTheTriggerTheGrammarReadsTheRest() throws {
        let (grammar, trigger) = try ToolCallGrammar.grammar(functions: Self.functions, format: .hermes, mode: .afterTrigger, parallel: true)
        #expect(trigger == Array("<tool_call>".utf8))
        #expect(grammar.accepts(Array("\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>".utf8)))
        #expect(!grammar.accepts(Array("<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>".utf8)))
    }
}

extension ToolCallGrammarTests {
    @Test func llama3CallsAreTheObjectAlone() throws {
        let (required, _) = try ToolCallGrammar.grammar(functions: Self.functions, format: .llama3, mode: .required, parallel: false)
        #expect(required.accepts(Array(#"{"name": "get_weather", "parameters": {"city": "Paris"}}"#.utf8)))
        #expect(!required.accepts(Array(#"{"name": "get_weather", "arguments": {"city": "Paris"}}"#.utf8)))
        #expect(!required.accepts(Array(#"{"name": "get_time", "parameters": {}}{"name": "get_time", "parameters": {}}"#.utf8)))
        let (lazy, trigger) = try ToolCallGrammar.grammar(functions: Self.functions, format: .llama3, mode: .afterTrigger, parallel: false)
        #expect(trigger == Array(#"{"name""#.utf8))
        #expect(lazy.accepts(Array(#": "get_time", "parameters": {"zone": "UTC"}}"#.utf8)))
        #expect(
            ToolCallFormat.native(in: #"Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}."#)
                == .llama3)
    }
}

extension ToolCallGrammarTests {
    @Test func mistralNemoCallsAreOneArray() throws {
        let (required, none) = try ToolCallGrammar.grammar(functions: Self.functions, format: .mistralArray, mode: .required, parallel: true)
        #expect(none == nil)
        let two = #"[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "get_time", "arguments": {}}]"#
        #expect(required.accepts(Array(two.utf8)))
        #expect(required.accepts(Array(#"[TOOL_CALLS] [{"name":"get_time","arguments":{"zone":1}}]"#.utf8)))
        #expect(!required.accepts(Array(#"[TOOL_CALLS][{"name": "get_weather", "arguments": {"town": "Paris"}}]"#.utf8)))
        #expect(!required.accepts(Array(#"[TOOL_CALLS][{"name": "get_time", "arguments": {}}"#.utf8)), "the array must close")
        #expect(!required.accepts(Array(#"[TOOL_CALLS]{"name": "get_time", "arguments": {}}"#.utf8)))
        // Nemo's template writes an id after the arguments; the model may too (9 letters and digits)
        #expect(required.accepts(Array(#"[TOOL_CALLS][{"name": "get_time", "arguments": {}, "id": "a1B2c3D4e"}]"#.utf8)))
        #expect(!required.accepts(Array(#"[TOOL_CALLS][{"name": "get_time", "arguments": {}, "id": "a1B2c3D4"}]"#.utf8)))
        let (single, _) = try ToolCallGrammar.grammar(functions: Self.functions, format: .mistralArray, mode: .required, parallel: false)
        #expect(!single.accepts(Array(two.utf8)))
        let (lazy, trigger) = try ToolCallGrammar.grammar(functions: Self.functions, format: .mistralArray, mode: .afterTrigger, parallel: true)
        #expect(trigger == Array("[TOOL_CALLS]".utf8))
        #expect(lazy.accepts(Array(two.dropFirst("[TOOL_CALLS]".count).utf8)))
    }

    @Test func mistralNamedCallsRepeatTheMarker() throws {
        let (required, _) = try ToolCallGrammar.grammar(functions: Self.functions, format: .mistralNamed, mode: .required, parallel: true)
        let two = #"[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}[TOOL_CALLS]get_time[ARGS]{}"#
        #expect(required.accepts(Array(two.utf8)))
        #expect(!required.accepts(Array(#"[TOOL_CALLS]get_weather[ARGS]{"city": 3}"#.utf8)))
        #expect(!required.accepts(Array(#"[TOOL_CALLS]get_wether[ARGS]{}"#.utf8)))
        #expect(!required.accepts(Array(#"[TOOL_CALLS]{"name": "get_time", "arguments": {}}"#.utf8)))
        let (lazy, trigger) = try ToolCallGrammar.grammar(functions: Self.functions, format: .mistralNamed, mode: .afterTrigger, parallel: false)
        #expect(trigger == Array("[TOOL_CALLS]".utf8))
        #expect(lazy.accepts(Array(#"get_time[ARGS]{"zone": "UTC"}"#.utf8)))
        #expect(!lazy.accepts(Array(#"get_time[ARGS]{}[TOOL_CALLS]get_time[ARGS]{}"#.utf8)))
    }

    @Test func mistralTemplatesAreRecognised() {
        #expect(ToolCallFormat.native(in: #"{{- "[TOOL_CALLS][" }}"#) == .mistralArray)
        #expect(ToolCallFormat.native(in: #"{{- '[TOOL_CALLS]' + tool_call.function.name }}{{- '[ARGS]' + args }}"#) == .mistralNamed)
        #expect(ToolCallFormat.native(in: "[INST] plain [/INST]") == nil)
    }
}

extension ToolCallGrammarTests {
    /// Mistral's markers are control tokens: the grammar takes them as the single tokens the model was trained to
    /// write, while other control tokens stay out of constrained text.
    @Test func markerTokensAreTheGrammarsOwn() throws {
        let tokens = ByteLevelMapping.scalarForByte.map { String($0) } + ["[TOOL_CALLS]", "[ARGS]", "[INST]", "</s>"]
        let types = [TokenType](repeating: .normal, count: 256) + [.control, .control, .control, .control]
        let tokenizer = try Tokenizer(
            vocabulary: TokenizerVocabulary(model: "gpt2", tokens: tokens, tokenTypes: types, merges: [], preTokenizer: "gpt-2", eosTokenID: 259))
        let vocabulary = TokenVocabulary(tokenizer: tokenizer, logitCount: tokens.count)
        #expect(Array(vocabulary.tokenBytes(256)) == Array("[TOOL_CALLS]".utf8))
        #expect(vocabulary.tokenBytes(258).isEmpty && vocabulary.tokenBytes(259).isEmpty)
        let (grammar, _) = try ToolCallGrammar.grammar(functions: Self.functions, format: .mistralNamed, mode: .required, parallel: false)
        var matcher = TokenMatcher(TokenGrammar(grammar: grammar, vocabulary: vocabulary))
        func allowed() -> Set<Int32> {
            var logits = [Float](repeating: 0, count: tokens.count)
            logits.withUnsafeMutableBufferPointer { matcher.constrain($0) }
            return Set(logits.indices.filter { logits[$0] == 0 }.map { Int32($0) })
        }
        #expect(allowed().contains(256) && !allowed().contains(258))
        func take(_ ids: [Int32]) -> Bool { ids.allSatisfy { matcher.accept($0) } }
        #expect(take([256] + "get_time".utf8.map(Int32.init)))
        #expect(allowed().contains(257))
        #expect(take([257] + "{}".utf8.map(Int32.init)))
        #expect(matcher.isComplete && allowed().contains(259))
    }
}
