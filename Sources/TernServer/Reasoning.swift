import TernTokenizer

/// A reasoning model's thinking: the text between `<think>` and `</think>` at the start of an answer, which goes to
/// `reasoning_content` instead of `content` (DeepSeek-R1 distills, Qwen 3, and any template that writes `<think>`).
///
/// Some templates open the section in the prompt (DeepSeek-R1's generation prompt ends with `<think>\n`): the answer
/// then starts inside it. Text before `</think>` is reasoning; whitespace around it is dropped; a `<think>` that is
/// not at the start of the answer is plain content.
struct Reasoning {
    static let open = "<think>"
    static let close = "</think>"

    /// Whether `template` writes thinking sections.
    static func isUsed(by template: ChatTemplate?) -> Bool { template?.source.contains(open) ?? false }

    /// The variables a thinking template reads: thinking on, as llama.cpp and Qwen's defaults have it.
    static func variables(for template: ChatTemplate?) -> [String: TemplateValue] {
        template?.source.contains("enable_thinking") == true ? ["enable_thinking": true] : [:]
    }

    /// Where a rendered prompt leaves the answer: inside an open section, or with the section already closed
    /// (thinking turned off), or neither.
    static func promptState(_ prompt: String) -> (startsThinking: Bool, closed: Bool) {
        let trimmed = prompt.reversed().drop(while: \.isWhitespace)
        return (String(trimmed.prefix(open.count).reversed()) == open, String(trimmed.prefix(close.count).reversed()) == close)
    }

    enum Event: Equatable {
        case reasoning(String)
        case content(String)
    }

    private enum State {
        case start
        case thinking
        case answer
    }

    private var state: State
    private var buffer = ""
    /// Whitespace held at the end of reasoning: sent with more reasoning, dropped at `</think>`.
    private var pendingSpace = ""
    /// Whether the answer after the section has begun (its leading whitespace is dropped).
    private var answerStarted = false
    /// Whether some reasoning went out (its leading whitespace is dropped).
    private var sentReasoning = false

    init(startsThinking: Bool) {
        state = startsThinking ? .thinking : .start
    }

    mutating func feed(_ text: String) -> [Event] {
        buffer += text
        var events: [Event] = []
        while step(into: &events) {}
        return events
    }

    mutating func finish() -> [Event] {
        var events: [Event] = []
        switch state {
        case .start: if !buffer.isEmpty { events.append(.content(buffer)) }
        case .thinking: emitReasoning(buffer, into: &events)
        case .answer: emitAnswer(buffer, into: &events)
        }
        buffer = ""
        return events
    }

    private mutating func step(into events: inout [Event]) -> Bool {
        switch state {
        case .start:
            let trimmed = buffer.drop(while: \.isWhitespace)
            if trimmed.hasPrefix(Self.open) {
                buffer = String(trimmed.dropFirst(Self.open.count))
                state = .thinking
                return true
            }
            if trimmed.isEmpty || Self.open.hasPrefix(trimmed) { return false }
            state = .answer
            answerStarted = true  // no thinking: the answer is the text as it is
            return true
        case .thinking:
            if let range = buffer.range(of: Self.close) {
                emitReasoning(String(buffer[..<range.lowerBound]), into: &events)
                pendingSpace = ""
                buffer = String(buffer[range.upperBound...])
                state = .answer
                return true
            }
            let (release, hold) = MarkedText.releasable(buffer, before: Self.close)
            emitReasoning(release, into: &events)
            buffer = hold
            return false
        case .answer:
            emitAnswer(buffer, into: &events)
            buffer = ""
            return false
        }
    }

    private mutating func emitReasoning(_ text: String, into events: inout [Event]) {
        var combined = pendingSpace + text
        if !sentReasoning { combined = String(combined.drop(while: \.isWhitespace)) }
        guard let (body, space) = MarkedText.trailingWhitespace(combined) else {
            pendingSpace = combined
            return
        }
        events.append(.reasoning(body))
        sentReasoning = true
        pendingSpace = space
    }

    private mutating func emitAnswer(_ text: String, into events: inout [Event]) {
        var text = text[...]
        if !answerStarted {
            text = text.drop(while: \.isWhitespace)
            guard !text.isEmpty else { return }
            answerStarted = true
        }
        if !text.isEmpty { events.append(.content(String(text))) }
    }
}
