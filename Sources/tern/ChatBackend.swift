import TernEngine
import TernTokenizer

/// How one answer is generated.
struct ChatSettings {
    let maxTokens: Int
    let temperature: Float
    let seed: UInt64?
}

/// Produces the assistant's next message, streaming its text as it comes.
protocol ChatBackend {
    func reply(to messages: [ChatMessage], settings: ChatSettings, onText: (String) -> Void) throws -> String
}

/// Runs the model in this process; the whole conversation is processed again each turn.
final class LocalChatBackend: ChatBackend {
    let model: LoadedModel
    let generator: Generator

    init(model: LoadedModel, threads: Int) {
        self.model = model
        generator = Generator(model: model, threads: threads)
    }

    func reply(to messages: [ChatMessage], settings: ChatSettings, onText: (String) -> Void) throws -> String {
        let prompt = try model.encodeChat(messages)
        let room = generator.contextLength - prompt.count
        guard room > 0 else { throw CommandError("the conversation no longer fits the context; type /reset to start over") }
        var detokenizer = StreamingDetokenizer(tokenizer: model.tokenizer)
        var answer = ""
        let parameters = SamplingParameters(temperature: settings.temperature, topP: 0.95, minP: 0.05, seed: settings.seed)
        _ = try generator.generate(prompt: prompt, parameters: parameters, maxTokens: min(settings.maxTokens, room)) { token in
            let piece = detokenizer.append(token)
            answer += piece
            onText(piece)
            return true
        }
        let rest = detokenizer.finish()
        answer += rest
        onText(rest)
        return answer
    }
}
