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
        let (grammar, openers) = try ToolCallGrammar.grammar(functions: Self.functions, format: .hermes, mode: .required, parallel: true)
        #expect(openers.isEmpty)
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

    @Test func afterItsOpeningTheGrammarReadsTheCalls() throws {
        let (grammar, openers) = try ToolCallGrammar.grammar(functions: Self.functions, format: .hermes, mode: .afterOpening, parallel: true)
        #expect(openers == [Array("<tool_call>".utf8)])
        #expect(grammar.accepts(Array("<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>".utf8)))
        #expect(!grammar.accepts(Array("\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>".utf8)), "the opening is the grammar's")
        #expect(!grammar.accepts(Array("Sure. <tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>".utf8)))
    }
}

extension ToolCallGrammarTests {
    @Test func llama3CallsAreTheObjectAlone() throws {
        let (required, _) = try ToolCallGrammar.grammar(functions: Self.functions, format: .llama3, mode: .required, parallel: false)
        #expect(required.accepts(Array(#"{"name": "get_weather", "parameters": {"city": "Paris"}}"#.utf8)))
        #expect(!required.accepts(Array(#"{"name": "get_weather", "arguments": {"city": "Paris"}}"#.utf8)))
        #expect(!required.accepts(Array(#"{"name": "get_time", "parameters": {}}{"name": "get_time", "parameters": {}}"#.utf8)))
        // With the tag Llama 3.1 writes before calls in its ipython environment.
        #expect(required.accepts(Array(#"<|python_tag|>{"name": "get_time", "parameters": {}}"#.utf8)))
        #expect(!required.accepts(Array(#"<|python_tag|>get_time.call()"#.utf8)), "not a built-in")
        let (lazy, openers) = try ToolCallGrammar.grammar(functions: Self.functions, format: .llama3, mode: .afterOpening, parallel: false)
        #expect(openers == [Array(#"{"name""#.utf8), Array("<|python_tag|>".utf8)])
        #expect(lazy.accepts(Array(#"{"name": "get_time", "parameters": {"zone": "UTC"}}"#.utf8)))
        #expect(lazy.accepts(Array(#"<|python_tag|> {"name": "get_time", "parameters": {"zone": "UTC"}}"#.utf8)))
        #expect(
            ToolCallFormat.native(in: #"Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}."#)
                == .llama3)
    }
}

extension ToolCallGrammarTests {
    @Test func mistralNemoCallsAreOneArray() throws {
        let (required, none) = try ToolCallGrammar.grammar(functions: Self.functions, format: .mistralArray, mode: .required, parallel: true)
        #expect(none.isEmpty)
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
        let (lazy, openers) = try ToolCallGrammar.grammar(functions: Self.functions, format: .mistralArray, mode: .afterOpening, parallel: true)
        #expect(openers == [Array("[TOOL_CALLS]".utf8)])
        #expect(lazy.accepts(Array(two.utf8)))
        #expect(!lazy.accepts(Array(two.dropFirst("[TOOL_CALLS]".count).utf8)))
    }

    @Test func mistralNamedCallsRepeatTheMarker() throws {
        let (required, _) = try ToolCallGrammar.grammar(functions: Self.functions, format: .mistralNamed, mode: .required, parallel: true)
        let two = #"[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}[TOOL_CALLS]get_time[ARGS]{}"#
        #expect(required.accepts(Array(two.utf8)))
        #expect(!required.accepts(Array(#"[TOOL_CALLS]get_weather[ARGS]{"city": 3}"#.utf8)))
        #expect(!required.accepts(Array(#"[TOOL_CALLS]get_wether[ARGS]{}"#.utf8)))
        #expect(!required.accepts(Array(#"[TOOL_CALLS]{"name": "get_time", "arguments": {}}"#.utf8)))
        let (lazy, openers) = try ToolCallGrammar.grammar(functions: Self.functions, format: .mistralNamed, mode: .afterOpening, parallel: false)
        #expect(openers == [Array("[TOOL_CALLS]".utf8)])
        #expect(lazy.accepts(Array(#"[TOOL_CALLS]get_time[ARGS]{"zone": "UTC"}"#.utf8)))
        #expect(!lazy.accepts(Array(#"[TOOL_CALLS]get_time[ARGS]{}[TOOL_CALLS]get_time[ARGS]{}"#.utf8)))
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

extension ToolCallGrammarTests {
    static let builtinFunctions = [
        ToolCallGrammar.Function(
            name: "brave_search",
            parameters: try! JSONValue.parse(Array(#"{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}"#.utf8))),
        ToolCallGrammar.Function(
            name: "code_interpreter",
            parameters: try! JSONValue.parse(Array(#"{"type":"object","properties":{"code":{"type":"string"}}}"#.utf8))),
        functions[0],
    ]

    /// Llama 3.1's built-in tools: `<|python_tag|>name.call(key="value")`, code_interpreter's code after the tag, and
    /// the request's own functions as objects.
    @Test func llamaBuiltinsAreCalledInPythonsForm() throws {
        var format = ToolCallFormat.llama3
        format.builtins = try LlamaBuiltinTools.builtins(among: Self.builtinFunctions)
        #expect(format.builtins == ["brave_search": ["query"], "code_interpreter": ["code"]])
        let (required, _) = try ToolCallGrammar.grammar(functions: Self.builtinFunctions, format: format, mode: .required, parallel: false)
        #expect(required.accepts(Array(#"<|python_tag|>brave_search.call(query="weather in \"Paris\"")"#.utf8)))
        #expect(required.accepts(Array("<|python_tag|>import math\nprint(math.pi)".utf8)))
        #expect(required.accepts(Array(#"{"name": "get_weather", "parameters": {"city": "Paris"}}"#.utf8)))
        #expect(!required.accepts(Array(#"brave_search.call(query="x")"#.utf8)), "the tag comes first")
        // The template lists the built-ins among the functions, so they may be called as objects too; code never
        // starts like an object, so an object after the tag is held to its function.
        #expect(required.accepts(Array(#"{"name": "brave_search", "parameters": {"query": "x"}}"#.utf8)))
        #expect(!required.accepts(Array(#"<|python_tag|>{"name": "get_weather", "parameters": {"city": 3}}"#.utf8)))
        #expect(!required.accepts(Array(#"<|python_tag|> print(1)"#.utf8)))
        // Without code_interpreter (whose code may be any text) the call's form is all there is after the tag.
        var search = ToolCallFormat.llama3
        search.builtins = ["brave_search": ["query"]]
        let (strict, _) = try ToolCallGrammar.grammar(functions: [Self.builtinFunctions[0]], format: search, mode: .required, parallel: false)
        #expect(strict.accepts(Array(#"<|python_tag|>brave_search.call(query="x")"#.utf8)))
        #expect(!strict.accepts(Array(#"<|python_tag|>brave_search.call(q="x")"#.utf8)))
        #expect(!strict.accepts(Array(#"<|python_tag|>brave_search.call(query=3)"#.utf8)))
        #expect(!strict.accepts(Array("<|python_tag|>print(1)".utf8)))
        let (lazy, openers) = try ToolCallGrammar.grammar(functions: Self.builtinFunctions, format: format, mode: .afterOpening, parallel: false)
        #expect(openers.count == 2)
        #expect(lazy.accepts(Array(#"<|python_tag|>brave_search.call(query="x")"#.utf8)))
    }

    @Test func llamaBuiltinsNeedStringParameters() throws {
        let numeric = ToolCallGrammar.Function(
            name: "wolfram_alpha",
            parameters: try! JSONValue.parse(Array(#"{"type":"object","properties":{"query":{"type":"integer"}}}"#.utf8)))
        #expect(throws: LlamaBuiltinTools.IndexedSchemaError.self) { try LlamaBuiltinTools.builtins(among: [Self.functions[0], numeric]) }
        let twoCodes = ToolCallGrammar.Function(
            name: "code_interpreter",
            parameters: try! JSONValue.parse(Array(#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}}}"#.utf8)))
        #expect(throws: LlamaBuiltinTools.IndexedSchemaError.self) { try LlamaBuiltinTools.builtins(among: [twoCodes]) }
        #expect(try LlamaBuiltinTools.builtins(among: Self.functions).isEmpty)
    }

    /// A grammar opened by `<|python_tag|>` or `{"name"` starts at whichever the free text reaches first, and reads it.
    @Test func openersStartTheGrammarAndAreReadByIt() throws {
        let tokens = ByteLevelMapping.scalarForByte.map { String($0) } + ["<|python_tag|>", "<|eot_id|>"]
        let types = [TokenType](repeating: .normal, count: 256) + [.control, .control]
        let tokenizer = try Tokenizer(
            vocabulary: TokenizerVocabulary(model: "gpt2", tokens: tokens, tokenTypes: types, merges: [], preTokenizer: "gpt-2", eosTokenID: 257))
        let vocabulary = TokenVocabulary(tokenizer: tokenizer, logitCount: tokens.count)
        #expect(Array(vocabulary.tokenBytes(256)) == Array("<|python_tag|>".utf8), "the tag is rendered as text")
        var format = ToolCallFormat.llama3
        format.builtins = try LlamaBuiltinTools.builtins(among: Self.builtinFunctions)
        let (grammar, openers) = try ToolCallGrammar.grammar(
            functions: Self.builtinFunctions, format: format, mode: .afterOpening, parallel: false)
        for prefix in ["", "Let me look. "] {
            var matcher = TokenMatcher(TokenGrammar(grammar: grammar, vocabulary: vocabulary, openers: openers))
            #expect(prefix.utf8.allSatisfy { matcher.accept(Int32($0)) } && !matcher.isActive, "free text before the opening")
            #expect(matcher.accept(256) && matcher.isActive)
            #expect(#"brave_search.call(query="x")"#.utf8.allSatisfy { matcher.accept(Int32($0)) })
            #expect(matcher.isComplete)
        }
        var json = TokenMatcher(TokenGrammar(grammar: grammar, vocabulary: vocabulary, openers: openers))
        #expect(#"{"name": "get_weather", "parameters": {"city": "Paris"}}"#.utf8.allSatisfy { json.accept(Int32($0)) })
        #expect(json.isActive && json.isComplete)
        var wrong = TokenMatcher(TokenGrammar(grammar: grammar, vocabulary: vocabulary, openers: openers))
        #expect(!#"{"name": "get_time""#.utf8.allSatisfy { wrong.accept(Int32($0)) }, "get_time is not among these tools")
    }
}
