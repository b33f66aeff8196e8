import TernGrammar
import TernOpenAI

/// One choice's text as the parts of an answer: reasoning (``Reasoning``), content and tool calls
/// (``ToolCallExtractor``), as the text arrives. Without either, all of it is content.
struct AnswerParser {
    enum Event: Equatable {
        case reasoning(String)
        case content(String)
        case callStart(index: Int, id: String, name: String)
        case arguments(index: Int, String)
    }

    private var reasoning: Reasoning?
    private var tools: ToolCallExtractor?

    /// A parser; `thinking` when the answer may start with a thinking section (`startsThinking`: inside one).
    init(thinking: Bool, startsThinking: Bool, tools: ToolCallFormat?) {
        reasoning = thinking ? Reasoning(startsThinking: startsThinking) : nil
        self.tools = tools.map(ToolCallExtractor.init)
    }

    /// Calls started so far.
    var callCount: Int { tools?.callCount ?? 0 }

    mutating func feed(_ text: String) -> [Event] {
        let parts = reasoning != nil ? reasoning!.feed(text) : [.content(text)]
        return route(parts)
    }

    mutating func finish() -> [Event] {
        var events = route(reasoning != nil ? reasoning!.finish() : [])
        if tools != nil { events += tools!.finish().map(Self.event) }
        return events
    }

    private mutating func route(_ parts: [Reasoning.Event]) -> [Event] {
        var events: [Event] = []
        for part in parts {
            switch part {
            case .reasoning(let text): events.append(.reasoning(text))
            case .content(let text):
                if tools != nil { events += tools!.feed(text).map(Self.event) } else { events.append(.content(text)) }
            }
        }
        return events
    }

    private static func event(_ event: ToolCallExtractor.Event) -> Event {
        switch event {
        case .content(let text): .content(text)
        case .callStart(let index, let id, let name): .callStart(index: index, id: id, name: name)
        case .arguments(let index, let fragment): .arguments(index: index, fragment)
        }
    }

    /// A whole answer: content (`nil` when the answer is only calls), reasoning (`nil` when there was none) and calls.
    mutating func parse(_ text: String) -> (content: String?, reasoning: String?, calls: [ToolCall]) {
        var content = ""
        var thoughts: String?
        var calls: [ToolCall] = []
        for event in feed(text) + finish() {
            switch event {
            case .reasoning(let text): thoughts = (thoughts ?? "") + text
            case .content(let text): content += text
            case .callStart(_, let id, let name): calls.append(ToolCall(id: id, name: name, arguments: ""))
            case .arguments(let index, let fragment): calls[index].arguments += fragment
            }
        }
        return (calls.isEmpty || !content.isEmpty ? content : nil, thoughts, calls)
    }
}

/// The parsers of a streamed response's choices, turning their events into chunks.
final class AnswerStreams {
    private var parsers: [AnswerParser]

    init(_ parser: AnswerParser, choices: Int) {
        parsers = Array(repeating: parser, count: choices)
    }

    func feed(choice: Int, _ text: String) -> [AnswerParser.Event] { parsers[choice].feed(text) }
    func finish(choice: Int) -> [AnswerParser.Event] { parsers[choice].finish() }
    func calls(choice: Int) -> Int { parsers[choice].callCount }

    /// The events as chunks: reasoning and content as deltas, calls as `tool_calls` deltas (id and name first, then
    /// the arguments in fragments). `logprobs` go with the first chunk.
    func chunks(choice: Int, events: [AnswerParser.Event], stream: ChatCompletionChunk.Stream, logprobs: ChatLogprobs?) -> [UInt8] {
        var bytes: [UInt8] = []
        var logprobs = logprobs
        for event in events {
            var delta = ChatCompletionChunk.Delta()
            switch event {
            case .reasoning(let text): delta.reasoningContent = text
            case .content(let text): delta.content = text
            case .callStart(let index, let id, let name):
                delta.toolCalls = [ToolCallDelta(index: index, id: id, name: name, arguments: "")]
            case .arguments(let index, let fragment):
                delta.toolCalls = [ToolCallDelta(index: index, arguments: fragment)]
            }
            bytes += ServerSentEvents.event(stream.chunk([ChatCompletionChunk.Choice(index: choice, delta: delta, logprobs: logprobs)]))
            logprobs = nil
        }
        return bytes
    }
}
