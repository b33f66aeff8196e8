/// A model's chat template (`tokenizer.chat_template` in a GGUF file), parsed once and rendered per request by a
/// small sandboxed Jinja2 interpreter.
///
/// The interpreter covers the Jinja2 subset that model chat templates use and renders it the way transformers and
/// llama-cpp-python do (`trim_blocks` and `lstrip_blocks` on). It reads only the values it is given: no files, no
/// environment, no host code, and limits on output size, loop iterations and macro recursion.
///
/// ```swift
/// let template = try ChatTemplate(source: source)
/// let prompt = try template.render(
///     messages: [ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>")
/// ```
public struct ChatTemplate: Sendable {
    /// How templates are lexed and rendered.
    public struct Options: Sendable, Equatable {
        /// Jinja2's `trim_blocks`: drop the first newline after a block tag (`%}`) or comment.
        public var trimBlocks: Bool
        /// Jinja2's `lstrip_blocks`: drop spaces and tabs before a block tag or comment at the start of a line.
        public var lstripBlocks: Bool
        /// Jinja2's `keep_trailing_newline`: keep a single newline at the end of the source.
        public var keepTrailingNewline: Bool
        /// How `tojson` writes JSON.
        public var jsonStyle: TemplateJSONStyle
        /// Seconds since 1970 (UTC) that `strftime_now` reports instead of the current local time; for reproducible renders.
        public var fixedTime: Int?
        /// The sandbox limits.
        public var limits: Limits

        /// Creates options; the defaults reproduce transformers' and llama-cpp-python's renderings.
        public init(
            trimBlocks: Bool = true, lstripBlocks: Bool = true, keepTrailingNewline: Bool = false,
            jsonStyle: TemplateJSONStyle = .transformers, fixedTime: Int? = nil, limits: Limits = Limits()
        ) {
            self.trimBlocks = trimBlocks
            self.lstripBlocks = lstripBlocks
            self.keepTrailingNewline = keepTrailingNewline
            self.jsonStyle = jsonStyle
            self.fixedTime = fixedTime
            self.limits = limits
        }
    }

    /// Bounds that stop a runaway template with a ``ChatTemplateError/Code/limit`` error.
    public struct Limits: Sendable, Equatable {
        /// Most bytes a render may produce.
        public var maxOutputBytes: Int
        /// Most loop iterations, macro calls and built sequence elements in one render.
        public var maxIterations: Int
        /// Deepest nesting of macro calls.
        public var maxCallDepth: Int
        /// Deepest nesting of blocks and parenthesized expressions in the source.
        public var maxNesting: Int

        /// Creates limits.
        public init(maxOutputBytes: Int = 4 << 20, maxIterations: Int = 1_000_000, maxCallDepth: Int = 64, maxNesting: Int = 100) {
            self.maxOutputBytes = maxOutputBytes
            self.maxIterations = maxIterations
            self.maxCallDepth = maxCallDepth
            self.maxNesting = maxNesting
        }
    }

    /// The template source as given.
    public let source: String
    /// The options the template was parsed with and renders with.
    public let options: Options
    private let nodes: [TemplateNode]

    /// Parses a template; syntax errors and unsupported tags are reported here, with their line and column.
    public init(source: String, options: Options = Options()) throws(ChatTemplateError) {
        self.source = source
        self.options = options
        let tokens = try TemplateLexer.tokenize(source, options: options)
        nodes = try TemplateParser.parse(tokens, maxNesting: options.limits.maxNesting)
    }

    /// Renders with exactly the given top-level variables (`messages`, `add_generation_prompt`, `tools`, …).
    public func render(context: [String: TemplateValue]) throws(ChatTemplateError) -> String {
        let renderer = TemplateRenderer(options: options, context: context.mapValues(RuntimeValue.init))
        _ = try renderer.execute(nodes)
        return renderer.output
    }

    /// Renders plain-text messages with the variables that transformers and llama.cpp pass to chat templates.
    ///
    /// `extra` adds or overrides variables (`tools`, `date_string`, …).
    public func render(
        messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String, eosToken: String, extra: [String: TemplateValue] = [:]
    ) throws(ChatTemplateError) -> String {
        try render(
            messageValues: messages.map(\.templateValue), addGenerationPrompt: addGenerationPrompt, bosToken: bosToken, eosToken: eosToken,
            extra: extra)
    }

    /// Renders messages given as template values (with `tool_calls`, `tool_call_id`, `name`, …).
    public func render(
        messageValues: [TemplateValue], addGenerationPrompt: Bool, bosToken: String, eosToken: String, extra: [String: TemplateValue] = [:]
    ) throws(ChatTemplateError) -> String {
        var context: [String: TemplateValue] = [
            "messages": .array(messageValues),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken),
            "eos_token": .string(eosToken),
        ]
        context.merge(extra) { _, new in new }
        return try render(context: context)
    }
}
