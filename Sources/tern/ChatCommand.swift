import ArgumentParser
import Foundation
import TernEngine
import TernTokenizer

struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a model in the terminal: answers stream as they are generated, the conversation is kept.",
        discussion: """
            With --url, talks to a running server (any OpenAI-compatible one) through /v1/chat/completions; \
            otherwise runs the model in this process. Type a message and press Enter; /reset starts a new \
            conversation, /exit (or end of input) quits. Lines can also be piped in.

            Examples:
              tern chat
              tern chat --url http://127.0.0.1:8080 --model gpt-4
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Base URL of a running server, e.g. http://127.0.0.1:8080. Default: run the model here.")
    var url: String?

    @Option(name: .long, help: "API key sent to --url as a bearer token (or set TERN_API_KEY or OPENAI_API_KEY).")
    var apiKey: String?

    @Option(name: .customLong("model-name"), help: "Model name sent to --url. Default: the server's first model.")
    var modelName: String?

    @Option(name: .long, help: "A system message that starts every conversation.")
    var system: String?

    @Option(name: .long, help: "Most tokens per answer.")
    var maxTokens = 512

    @Option(name: .long, help: "Sampling temperature; 0 picks the most likely token every time.")
    var temperature: Float = 0.7

    @Option(name: .long, help: "Seed of the random generator.")
    var seed: UInt64?

    @Option(name: [.customShort("t"), .long], help: "Compute threads when running here (default: one per core).")
    var threads: Int?

    func validate() throws {
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be at least 1") }
        guard temperature >= 0, temperature <= 2 else { throw ValidationError("--temperature must be between 0 and 2") }
    }

    func run() throws {
        let backend: any ChatBackend
        if let url {
            guard let base = URL(string: url), base.scheme == "http" || base.scheme == "https" else {
                throw ValidationError("--url must be an http or https URL, such as http://127.0.0.1:8080")
            }
            let environment = ProcessInfo.processInfo.environment
            let key = apiKey ?? environment["TERN_API_KEY"] ?? environment["OPENAI_API_KEY"] ?? "none"
            backend = RemoteChatBackend(base: base, apiKey: key, model: modelName)
        } else {
            let model = try modelOptions.load()
            backend = LocalChatBackend(model: model, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        }
        let interactive = isatty(STDIN_FILENO) != 0
        var messages: [ChatMessage] = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
        let settings = ChatSettings(maxTokens: maxTokens, temperature: temperature, seed: seed)
        if interactive { printError("Type a message; /reset starts over, /exit quits.") }
        while true {
            if interactive { FileHandle.standardOutput.write(Data("> ".utf8)) }
            guard let line = readLine() else { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            if text == "/exit" || text == "/quit" { break }
            if text == "/reset" {
                messages.removeAll { $0.role != "system" }
                continue
            }
            messages.append(ChatMessage(role: "user", content: text))
            let answer = try backend.reply(to: messages, settings: settings) { piece in
                FileHandle.standardOutput.write(Data(piece.utf8))
            }
            FileHandle.standardOutput.write(Data("\n".utf8))
            messages.append(ChatMessage(role: "assistant", content: answer))
        }
    }
}
