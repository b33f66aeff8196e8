public import TernJSON

/// The grammar of tool calls as a chat template writes them (``ToolCallFormat``): each call
/// `open {"name": …, "arguments": …} close`, Mistral's `[TOOL_CALLS][{…}, …]` or `[TOOL_CALLS]name[ARGS]{…}`, Llama
/// 3.x's object alone (after `<|python_tag|>` or not) or its built-ins' `<|python_tag|>name.call(…)`, the arguments
/// following the function's parameters schema.
///
/// With `tool_choice: required` (or a named function) the whole answer is calls; with `auto` the grammar starts where
/// the model opens a call (``TokenGrammar/openers``: `open`, or for Llama `{"name"` and `<|python_tag|>`), so a plain
/// answer stays free text.
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
        case afterOpening
    }

    /// The most calls in one answer.
    public static let maxCalls = 8

    /// `, "id": "…"` after the arguments, which Mistral Nemo's template writes and so its model may too (the id is
    /// ``ToolCallFormat/callIDLength`` letters and digits); nothing in the other forms.
    static func optionalID(_ format: ToolCallFormat, whitespace: GrammarExpression) -> GrammarExpression {
        guard format.layout == .array, let length = format.callIDLength else { return .empty }
        let character = GrammarExpression.oneOf("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        let id: [GrammarExpression] = [
            whitespace, .literal(","), whitespace, .literal("\"id\""), whitespace, .literal(":"), whitespace, .literal("\""),
            .repeated(character, min: length, max: length), .literal("\""),
        ]
        return .repeated(.sequence(id), min: 0, max: 1)
    }

    /// The grammar, and for ``Mode/afterOpening`` the openings it starts at (it reads them too).
    ///
    /// A format without markers (Llama 3.x: the answer is the call's JSON object) opens with the object's beginning,
    /// `{"name"`, and allows one call; `<|python_tag|>` may come first, as Llama 3.1 writes it in its ipython
    /// environment. The format's ``ToolCallFormat/builtins`` are called in Python's form after that tag instead.
    public static func grammar(
        functions: [Function], format: ToolCallFormat, mode: Mode, parallel: Bool
    ) throws(SchemaError) -> (grammar: Grammar, openers: [[UInt8]]) {
        var builder = GrammarBuilder()
        let text = JSONText(builder: &builder)
        let whitespace = text.whitespace
        let builtins = format.open.isEmpty ? format.builtins : [:]
        var calls: [GrammarExpression] = []
        var pythonCalls: [GrammarExpression] = []
        for function in functions {
            var compiler = JSONSchemaCompiler(root: function.parameters ?? .bool(true), builder: builder, text: text)
            if builtins[function.name] != nil {
                pythonCalls.append(try LlamaBuiltinTools.call(function, compiler: &compiler))
            }
            let arguments =
                try function.parameters.map { schema throws(SchemaError) in
                    try compiler.expression(for: schema, at: "#")
                } ?? text.object
            builder = compiler.builder
            if case .named(let marker) = format.layout {
                calls.append(.sequence([.literal(function.name), .literal(marker), arguments]))
                continue
            }
            calls.append(
                .sequence([
                    .literal("{"), whitespace, .literal("\"name\""), whitespace, .literal(":"), whitespace,
                    JSONText.literal(.string(function.name)), whitespace, .literal(","), whitespace,
                    JSONText.literal(.string(format.argumentsKey)), whitespace, .literal(":"), whitespace, arguments,
                    Self.optionalID(format, whitespace: whitespace), whitespace, .literal("}"),
                ]))
        }
        if format.open.isEmpty {
            // Llama 3.x: the call's object, after the tag or not, or a built-in's call after the tag.
            let tag = GrammarExpression.literal(LlamaBuiltinTools.tag)
            let object = calls.count == 1 ? calls[0] : GrammarExpression.choice(calls)
            var forms: [GrammarExpression] = [.sequence([.repeated(.sequence([tag, whitespace]), min: 0, max: 1), object])]
            if !pythonCalls.isEmpty { forms.append(.sequence([tag] + [pythonCalls.count == 1 ? pythonCalls[0] : .choice(pythonCalls)])) }
            let answer = forms.count == 1 ? forms[0] : GrammarExpression.choice(forms)
            let root = mode == .required ? GrammarExpression.sequence([JSONText.leading, answer]) : answer
            do {
                let grammar = try builder.build(root: root)
                let openers = mode == .required ? [] : [Array(format.trigger.utf8), Array(LlamaBuiltinTools.tag.utf8)]
                return (grammar, openers)
            } catch {
                throw SchemaError("the tools' parameters need a grammar larger than \(error.limit) elements; simplify them", at: "#")
            }
        }
        let call = calls.count == 1 ? calls[0] : GrammarExpression.choice(calls)
        // What follows the opening marker: the calls, each further one with what separates it.
        let rest: GrammarExpression
        switch format.layout {
        case .objects:
            // Whitespace around the object and between calls is free (bounded): templates write a newline, models vary.
            let body = GrammarExpression.sequence([whitespace, call, whitespace, .literal(format.close)])
            let more: GrammarExpression =
                parallel ? .repeated(.sequence([whitespace, .literal(format.open), body]), min: 0, max: Self.maxCalls - 1) : .empty
            rest = .sequence([body, more])
        case .array:
            let more: GrammarExpression =
                parallel ? .repeated(.sequence([whitespace, .literal(","), whitespace, call]), min: 0, max: Self.maxCalls - 1) : .empty
            rest = .sequence([whitespace, .literal("["), whitespace, call, more, whitespace, .literal("]")])
        case .named:
            let more: GrammarExpression =
                parallel ? .repeated(.sequence([.literal(format.open), call]), min: 0, max: Self.maxCalls - 1) : .empty
            rest = .sequence([call, more])
        }
        let opened = GrammarExpression.sequence([.literal(format.open), rest])
        do {
            let grammar = try builder.build(root: mode == .required ? .sequence([JSONText.leading, opened]) : opened)
            return (grammar, mode == .required ? [] : [Array(format.open.utf8)])
        } catch {
            throw SchemaError("the tools' parameters need a grammar larger than \(error.limit) elements; simplify them", at: "#")
        }
    }
}

/// How a model family writes a tool call in text: `<tool_call>\n{"name": …, "arguments": …}\n</tool_call>` for
/// Hermes-style templates (Qwen 2.5 and 3, Hermes, and the generic prompt Tern gives templates with no tool syntax of
/// their own); `{"name": …, "parameters": …}` alone for Llama 3.x.
public struct ToolCallFormat: Sendable, Equatable {
    /// How calls sit in an answer.
    public enum Layout: Sendable, Equatable {
        /// Each call a JSON object `{"name": …, <argumentsKey>: …}` between ``open`` and ``close`` (Hermes); with no
        /// markers, the answer is one such object (Llama 3.x).
        case objects
        /// ``open``, then the calls' objects as one JSON array (Mistral Nemo: `[TOOL_CALLS][{…}, {…}]`).
        case array
        /// Each call ``open``, the function's name, `marker`, then the arguments' JSON (Mistral Small 3.2, Devstral,
        /// Ministral: `[TOOL_CALLS]get_weather[ARGS]{…}`).
        case named(marker: String)
    }

    /// The marker before a call (before the array of calls for ``Layout/array``; empty: none, the answer is the object).
    public var open: String
    /// The marker after it (``Layout/objects`` only).
    public var close: String
    /// The key of the arguments in the call object.
    public var argumentsKey: String
    public var layout: Layout
    /// The length of the alphanumeric call ids the template requires (Mistral's raise an error for any other), or nil
    /// for OpenAI's `call_…` ids.
    public var callIDLength: Int?
    /// Llama 3.1's built-in tools that a request gives (``LlamaBuiltinTools``), which may also be called after
    /// `<|python_tag|>` in Python's form: name → the parameters its call writes, in order (code_interpreter: the one
    /// that holds the code). Empty otherwise.
    public var builtins: [String: [String]] = [:]

    /// A format.
    public init(open: String, close: String, argumentsKey: String, layout: Layout = .objects, callIDLength: Int? = nil) {
        self.open = open
        self.close = close
        self.argumentsKey = argumentsKey
        self.layout = layout
        self.callIDLength = callIDLength
    }

    /// The format as a cache key: every field, the built-ins sorted by name.
    public var key: String {
        let tools = builtins.sorted { $0.key < $1.key }.map { "\($0.key)(\($0.value.joined(separator: ",")))" }
        return "\(open)|\(close)|\(argumentsKey)|\(layout)|\(callIDLength ?? 0)|\(tools.joined(separator: " "))"
    }

    /// Whether an answer may hold several calls.
    public var allowsSeveralCalls: Bool { !open.isEmpty }
    /// What starts the grammar with `tool_choice: auto`.
    public var trigger: String { open.isEmpty ? "{\"name\"" : open }

    /// `<tool_call>{"name": …, "arguments": …}</tool_call>`.
    public static let hermes = ToolCallFormat(open: "<tool_call>", close: "</tool_call>", argumentsKey: "arguments")
    /// `{"name": …, "parameters": …}`, one call (Llama 3.1, 3.2, 3.3).
    public static let llama3 = ToolCallFormat(open: "", close: "", argumentsKey: "parameters")
    /// `[TOOL_CALLS][{"name": …, "arguments": …}, …]` with 9-character ids (Mistral Nemo and its kin).
    public static let mistralArray = ToolCallFormat(
        open: "[TOOL_CALLS]", close: "", argumentsKey: "arguments", layout: .array, callIDLength: 9)
    /// `[TOOL_CALLS]name[ARGS]{…}` per call, 9-character ids (Mistral's templates since Small 3).
    public static let mistralNamed = ToolCallFormat(
        open: "[TOOL_CALLS]", close: "", argumentsKey: "", layout: .named(marker: "[ARGS]"), callIDLength: 9)

    /// The format a chat template writes calls in, when it writes them itself; `nil` for a template without tool
    /// syntax (it gets Tern's generic prompt and the Hermes form).
    public static func native(in templateSource: String) -> ToolCallFormat? {
        if templateSource.contains(hermes.open) { return hermes }
        if templateSource.contains("\"parameters\": dictionary of argument name") { return llama3 }
        if templateSource.contains("[TOOL_CALLS][") { return mistralArray }
        if templateSource.contains("[TOOL_CALLS]") && templateSource.contains("[ARGS]") { return mistralNamed }
        return nil
    }
}
