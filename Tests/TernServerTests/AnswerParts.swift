import TernGrammar

@testable import TernServer

/// What an ``AnswerParser`` made of a text fed to it in pieces of `size` characters.
struct AnswerParts {
    var reasoning = ""
    var content = ""
    var names: [String] = []
    var arguments: [String] = []
    /// Whether each call started (with the next index) before any of its arguments came.
    var ordered = true

    init(_ text: String, size: Int, thinking: Bool = false, startsThinking: Bool = false, tools: ToolCallFormat?) {
        var parser = AnswerParser(thinking: thinking, startsThinking: startsThinking, tools: tools)
        let characters = Array(text)
        var events: [AnswerParser.Event] = []
        var index = 0
        while index < characters.count {
            events += parser.feed(String(characters[index..<min(index + size, characters.count)]))
            index += size
        }
        events += parser.finish()
        for event in events {
            switch event {
            case .reasoning(let text): reasoning += text
            case .content(let text): content += text
            case .callStart(let call, _, let name):
                ordered = ordered && call == names.count
                names.append(name)
                arguments.append("")
            case .arguments(let call, let fragment):
                guard call == names.count - 1 else {
                    ordered = false
                    continue
                }
                arguments[call] += fragment
            }
        }
    }
}
