import TernGrammar
import TernJSON
import TernOpenAI

/// Splits one choice's text into content and tool calls written in a ``ToolCallFormat``, as the text arrives.
///
/// A call is `open {"name": "…", "arguments": …} close` (the grammar generates exactly this shape, so the name comes
/// before the arguments; a format without markers, Llama 3.x's, is one call that is the whole answer, or follows
/// `<|python_tag|>`, after which Llama 3.1's built-ins are called as `name.call(…)` or with code), or one of
/// Mistral's: `open [{…}, {…}]`, `open name[ARGS]{…}`. Its id and name go out as soon as the arguments begin, and the
/// arguments in fragments as they are written. Text that may be the start of the opening marker is held back, and so
/// is trailing whitespace: whitespace around calls is not content.
struct ToolCallExtractor {
    /// What the text turned out to hold.
    enum Event: Equatable {
        case content(String)
        case callStart(index: Int, id: String, name: String)
        case arguments(index: Int, String)
    }

    private enum State {
        case content
        /// After the opening marker of ``ToolCallFormat/Layout/array``: the array's `[`.
        case arrayStart
        case header
        case arguments(ArgumentScanner)
        case trailer
        /// After a call object in an array: `,` and the next call, or the array's end.
        case arrayNext
        /// After Llama's `<|python_tag|>`: a call's object, a built-in's `name.call(…)`, or code_interpreter's code.
        case tagged
        /// code_interpreter's code, to the end of the answer.
        case code
    }

    let format: ToolCallFormat
    private var state = State.content
    private var buffer = ""
    /// Calls started so far.
    private(set) var callCount = 0
    /// Whitespace not yet known to be content: sent with the next text, dropped when a call comes.
    private var pendingSpace = ""
    /// Whether text other than whitespace came (a format without markers then has no call).
    private var sawText = false

    init(format: ToolCallFormat) {
        self.format = format
    }

    /// Reads more text.
    mutating func feed(_ text: String) -> [Event] {
        buffer += text
        var events: [Event] = []
        while step(into: &events) {}
        return events
    }

    /// Releases what was held back at the end of the text.
    mutating func finish() -> [Event] {
        var events: [Event] = []
        if case .tagged = state {
            // The answer ended before it was a whole call: code when code_interpreter is given, else text.
            if format.builtins[LlamaBuiltinTools.codeInterpreter] != nil && !buffer.allSatisfy(\.isWhitespace) {
                startCode(into: &events)
                _ = step(into: &events)
            } else {
                buffer = LlamaBuiltinTools.tag + buffer
                state = .content
            }
        }
        if case .code = state { events.append(.arguments(index: callCount - 1, "\"}")) }
        if case .content = state { emitContent(buffer, into: &events) }
        // Whitespace alone is an answer only when there were no calls.
        if callCount == 0 && !pendingSpace.isEmpty { events.append(.content(pendingSpace)) }
        pendingSpace = ""
        buffer = ""
        return events
    }

    /// One move of the state machine; `false` when it needs more text.
    private mutating func step(into events: inout [Event]) -> Bool {
        switch state {
        case .content where format.open.isEmpty:
            // Llama 3.x: the answer is a call when it starts with the object (after whitespace); the tag starts one
            // anywhere, as it starts the grammar.
            let trimmed = buffer.drop(while: \.isWhitespace)
            if callCount == 0 && !sawText {
                if trimmed.hasPrefix(format.trigger) {
                    buffer = String(trimmed)
                    state = .header
                    return true
                }
                if format.trigger.hasPrefix(trimmed) { return false }
            }
            guard callCount == 0 else {
                emitContent(buffer, into: &events)
                buffer = ""
                return false
            }
            if let range = buffer.range(of: LlamaBuiltinTools.tag) {
                emitContent(String(buffer[..<range.lowerBound]), into: &events)
                pendingSpace = ""
                buffer = String(buffer[range.upperBound...])
                state = .tagged
                return true
            }
            let (release, hold) = MarkedText.releasable(buffer, before: LlamaBuiltinTools.tag)
            sawText = sawText || release.contains { !$0.isWhitespace }
            emitContent(release, into: &events)
            buffer = hold
            return false
        case .content:
            if let range = buffer.range(of: format.open) {
                emitContent(String(buffer[..<range.lowerBound]), into: &events)
                pendingSpace = ""
                buffer = String(buffer[range.upperBound...])
                state = format.layout == .array ? .arrayStart : .header
                return true
            }
            let (release, hold) = MarkedText.releasable(buffer, before: format.open)
            emitContent(release, into: &events)
            buffer = hold
            return false
        case .arrayStart:
            let rest = buffer.drop(while: \.isWhitespace)
            guard !rest.isEmpty else { return false }
            // The grammar writes the `[`; text without it is left as the model wrote it.
            guard rest.first == "[" else {
                state = .content
                emitContent(format.open, into: &events)
                return true
            }
            buffer = String(rest.dropFirst())
            state = .header
            return true
        case .header:
            let header =
                if case .named(let marker) = format.layout {
                    Self.namedHeader(buffer, marker: marker)
                } else {
                    Self.header(buffer, argumentsKey: format.argumentsKey)
                }
            guard let (name, rest) = header else { return false }
            let index = callCount
            callCount += 1
            let id = format.callIDLength.map { OpenAIIdentifier.toolCall(alphanumeric: $0) } ?? OpenAIIdentifier.toolCall()
            events.append(.callStart(index: index, id: id, name: name))
            buffer = String(rest)
            state = .arguments(ArgumentScanner())
            return true
        case .arguments(var scanner):
            let (argument, rest) = scanner.read(buffer)
            if !argument.isEmpty { events.append(.arguments(index: callCount - 1, argument)) }
            buffer = rest.map(String.init) ?? ""
            guard rest != nil else {
                state = .arguments(scanner)
                return false
            }
            // A named call ends with its arguments; an object with its closing brace.
            if case .named = format.layout { state = .content } else { state = .trailer }
            return true
        case .arrayNext:
            let rest = buffer.drop(while: \.isWhitespace)
            guard let next = rest.first else { return false }
            // `,` starts the next call, `]` ends the array; anything else is text the model wrote after it.
            buffer = next == "," || next == "]" ? String(rest.dropFirst()) : String(rest)
            state = next == "," ? .header : .content
            return true
        case .tagged:
            return stepAfterTag(into: &events)
        case .code:
            if !buffer.isEmpty { events.append(.arguments(index: callCount - 1, Self.escaped(buffer))) }
            buffer = ""
            return false
        case .trailer where format.layout == .array:
            guard let brace = buffer.firstIndex(of: "}") else { return false }
            buffer = String(buffer[buffer.index(after: brace)...])
            state = .arrayNext
            return true
        case .trailer:
            // What ends a call: the marker, or without one the object's closing brace.
            guard let range = buffer.range(of: format.close.isEmpty ? "}" : format.close) else { return false }
            buffer = String(buffer[range.upperBound...])
            state = .content
            return true
        }
    }

    /// After `<|python_tag|>`: an object is a call as without the tag; a built-in's whole `name.call(…)` with the
    /// parameters it takes is its call; any other text is code_interpreter's code when the request gives it (the
    /// grammar allows nothing else then), else content.
    private mutating func stepAfterTag(into events: inout [Event]) -> Bool {
        let rest = buffer.drop(while: \.isWhitespace)
        guard let first = rest.first else { return false }
        if first == "{" {
            buffer = String(rest)
            state = .header
            return true
        }
        let name = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        let after = rest.dropFirst(name.count)
        let called = format.builtins.keys.filter { $0 != LlamaBuiltinTools.codeInterpreter }
        if let parameters = format.builtins[name], name != LlamaBuiltinTools.codeInterpreter, after.hasPrefix(".call(") {
            guard let (arguments, tail) = Self.keywordArguments(after.dropFirst(".call(".count)) else { return false }
            if let arguments, arguments.keys == parameters {
                events.append(.callStart(index: callCount, id: OpenAIIdentifier.toolCall(), name: name))
                events.append(.arguments(index: callCount, JSONValue.object(arguments).jsonText))
                callCount += 1
                buffer = String(tail)
                state = .content
                return true
            }
        } else if called.contains(where: { $0.hasPrefix(name) && (after.isEmpty || ($0 == name && ".call(".hasPrefix(after))) }) {
            return false  // still possibly a built-in's call
        }
        if format.builtins[LlamaBuiltinTools.codeInterpreter] != nil {
            buffer = String(rest)
            startCode(into: &events)
            return true
        }
        // The tag and what follows are text (not looked at again for the tag).
        emitContent(LlamaBuiltinTools.tag + buffer, into: &events)
        buffer = ""
        sawText = true
        state = .content
        return false
    }

    /// Starts code_interpreter's call; its arguments are `{"<parameter>": "` and then the code, escaped, as it comes.
    private mutating func startCode(into events: inout [Event]) {
        let parameter = format.builtins[LlamaBuiltinTools.codeInterpreter]?.first ?? "code"
        events.append(.callStart(index: callCount, id: OpenAIIdentifier.toolCall(), name: LlamaBuiltinTools.codeInterpreter))
        callCount += 1
        events.append(.arguments(index: callCount - 1, "{" + JSONValue.string(parameter).jsonText + ":\""))
        buffer = String(buffer.drop(while: \.isWhitespace))
        state = .code
    }

    /// `text` inside a JSON string: escaped, without the quotes (cut as scalars: a piece may begin with a combining
    /// mark, which would join the opening quote as one character).
    static func escaped(_ text: String) -> String {
        String(JSONValue.string(text).jsonText.unicodeScalars.dropFirst().dropLast())
    }

    /// A built-in's keyword arguments, `key="value", …)` (values JSON strings, as the grammar writes them), and what
    /// follows the `)`; nil until the `)` has come; nil arguments when the text does not have that form.
    static func keywordArguments(_ text: Substring) -> (JSONObject?, Substring)? {
        var members = JSONObject()
        var rest = text
        while true {
            rest = rest.drop { $0.isWhitespace || $0 == "," }
            guard let first = rest.first else { return nil }
            if first == ")" { return (members, rest.dropFirst()) }
            let key = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            rest = rest[key.endIndex...].drop(while: \.isWhitespace)
            guard let equals = rest.first else { return nil }
            guard equals == "=", !key.isEmpty else { return (nil, rest) }
            rest = rest.dropFirst().drop(while: \.isWhitespace)
            guard let quote = rest.first else { return nil }
            guard quote == "\"" else { return (nil, rest) }
            var scanner = ArgumentScanner()
            let (value, after) = scanner.read(String(rest))
            guard let after else { return nil }
            guard let parsed = try? JSONValue.parse(Array(value.utf8)) else { return (nil, after) }
            members[String(key)] = parsed
            rest = after
        }
    }

    /// Text goes out as content except its trailing whitespace, which waits for more text: a call drops it (the
    /// whitespace before and between calls is not content), the end of an answer without calls sends it.
    private mutating func emitContent(_ text: String, into events: inout [Event]) {
        let combined = pendingSpace + text
        guard let (body, space) = MarkedText.trailingWhitespace(combined) else {
            pendingSpace = combined
            return
        }
        events.append(.content(body))
        pendingSpace = space
    }

    /// `name[ARGS]` (the format's marker): the name and what follows the marker, once the marker has come. A
    /// `[CALL_ID]id` after the name (Mistral Small 3.2's history form) is not part of it.
    static func namedHeader(_ text: String, marker: String) -> (String, Substring)? {
        guard let range = text.range(of: marker) else { return nil }
        var name = text[..<range.lowerBound].drop(while: \.isWhitespace)
        if let id = name.range(of: "[CALL_ID]") { name = name[..<id.lowerBound] }
        return (String(name), text[range.upperBound...])
    }

    /// `{"name": "…", "arguments":` (or the format's key) with any whitespace: the name and what follows the colon.
    static func header(_ text: String, argumentsKey: String) -> (String, Substring)? {
        var rest = text[...].drop(while: \.isWhitespace)
        for token in ["{", "\"name\"", ":"] {
            guard rest.hasPrefix(token) else { return nil }
            rest = rest.dropFirst(token.count).drop(while: \.isWhitespace)
        }
        guard rest.first == "\"" else { return nil }
        // The name: letters, digits, _ and - (OpenAI's names), so no escapes.
        let afterQuote = rest.dropFirst()
        guard let close = afterQuote.firstIndex(of: "\"") else { return nil }
        let name = String(afterQuote[..<close])
        rest = afterQuote[afterQuote.index(after: close)...].drop(while: \.isWhitespace)
        for token in [",", "\"\(argumentsKey)\"", ":"] {
            guard rest.hasPrefix(token) else { return nil }
            rest = rest.dropFirst(token.count).drop(while: \.isWhitespace)
        }
        guard !rest.isEmpty else { return nil }
        return (name, rest)
    }
}

/// Finds the end of one JSON value in text that arrives in pieces: nesting depth, strings and escapes.
struct ArgumentScanner {
    private var depth = 0
    private var inString = false
    private var escaped = false

    /// The part of `text` that belongs to the value, and what follows the value (`nil` while it is unfinished).
    mutating func read(_ text: String) -> (String, Substring?) {
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            index = text.index(after: index)
            if inString {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                    if depth == 0 { return (String(text[..<index]), text[index...]) }
                }
                continue
            }
            switch character {
            case "{", "[":
                depth += 1
            case "}", "]":
                depth -= 1
                if depth == 0 { return (String(text[..<index]), text[index...]) }
            case "\"":
                inString = true
            default:
                break
            }
        }
        return (text, nil)
    }
}
