public import TernJSON

/// The grammar of tool calls as a chat template writes them: each call `open {"name": …, "arguments": …} close`,
/// the arguments following the function's parameters schema.
///
/// With `tool_choice: required` (or a named function) the whole answer is calls; with `auto` the grammar starts
/// after the model writes `open` (``TokenGrammar/trigger``), so a plain answer stays free text.
public struct ToolCallGrammar {
    /// A function that may be called: its name and the JSON Schema of its arguments (`nil`: any object).
    public struct Function: Sendable {
        public var name: String
        public var parameters: JSONValue?

        /// A function.
        public init(name: String, parameters: JSONValue?) {
            self.name = name
            self.parameters = parameters
        }
    }

    /// Which calls an answer may hold.
    public enum Mode: Sendable {
        /// The answer is one call or more (more only when `parallel`).
        case required
        /// The answer is text, and once the model writes the opening marker, calls.
        case afterTrigger
    }

    /// The most calls in one answer.
    public static let maxCalls = 8

    /// The grammar, and for ``Mode/afterTrigger`` the marker that starts it (the grammar reads what follows it).
    public static func grammar(
        functions: [Function], format: ToolCallFormat, mode: Mode, parallel: Bool
    ) throws(SchemaError) -> (grammar: Grammar, trigger: [UInt8]?) {
        var builder = GrammarBuilder()
        let text = JSONText(builder: &builder)
        var calls: [GrammarExpression] = []
        for function in functions {
            var compiler = JSONSchemaCompiler(root: function.parameters ?? .bool(true), builder: builder, text: text)
            let arguments =
                try function.parameters.map { schema throws(SchemaError) in
                    try compiler.expression(for: schema, at: "#")
                } ?? text.object
            builder = compiler.builder
            let whitespace = text.whitespace
            calls.append(
                .sequence([
                    .literal("{"), whitespace, .literal("\"name\""), whitespace, .literal(":"), whitespace,
                    JSONText.literal(.string(function.name)), whitespace, .literal(","), whitespace, .literal("\"arguments\""), whitespace,
                    .literal(":"), whitespace, arguments, whitespace, .literal("}"),
                ]))
        }
        // Whitespace around the object and between calls is free (bounded): templates write a newline, models vary.
        let body = GrammarExpression.sequence([
            text.whitespace, calls.count == 1 ? calls[0] : .choice(calls), text.whitespace, .literal(format.close),
        ])
        let more: GrammarExpression =
            parallel ? .repeated(.sequence([text.whitespace, .literal(format.open), body]), min: 0, max: Self.maxCalls - 1) : .empty
        let root: GrammarExpression
        switch mode {
        case .required: root = .sequence([JSONText.leading, .literal(format.open), body, more])
        case .afterTrigger: root = .sequence([body, more])
        }
        do {
            let grammar = try builder.build(root: root)
            return (grammar, mode == .afterTrigger ? Array(format.open.utf8) : nil)
        } catch {
            throw SchemaError("the tools' parameters need a grammar larger than \(error.limit) elements; simplify them", at: "#")
        }
    }
}

/// How a model family writes a tool call in text: `<tool_call>\n{…}\n</tool_call>` for Hermes-style templates (Qwen
/// 2.5 and 3, Hermes, and the generic prompt Tern gives templates with no tool syntax of their own).
public struct ToolCallFormat: Sendable, Equatable {
    /// The marker before a call's JSON object.
    public var open: String
    /// The marker after it.
    public var close: String

    /// `<tool_call>{"name": …, "arguments": …}</tool_call>`.
    public static let hermes = ToolCallFormat(open: "<tool_call>", close: "</tool_call>")
}
