import ArgumentParser
import Foundation
import TernEngine
import TernTokenizer

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Generate a continuation of a prompt and stream it to standard output.",
        discussion: """
            The prompt is wrapped in the model's chat template as one user message, unless --raw is given. \
            A summary line with prompt and generation speed goes to standard error.
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "The prompt.")
    var prompt: String

    @Option(name: .long, help: "Most tokens to generate.")
    var maxTokens = 256

    @Option(name: .long, help: "Sampling temperature; 0 picks the most likely token every time.")
    var temperature: Float = 0.8

    @Option(name: .long, help: "Only sample from the K most likely tokens (0: all).")
    var topK = 40

    @Option(name: .long, help: "Only sample from the smallest set of tokens whose probabilities add up to P.")
    var topP: Float = 0.95

    @Option(name: .long, help: "Drop tokens less likely than P times the most likely one.")
    var minP: Float = 0.05

    @Option(name: .long, help: "Seed of the random generator; the same seed and prompt give the same text.")
    var seed: UInt64?

    @Option(name: [.customShort("t"), .long], help: "Compute threads (default: one per core).")
    var threads: Int?

    @Option(name: .long, help: "Context length in tokens (default: the model's).")
    var ctx: Int?

    @Flag(name: .long, help: "Use the prompt as it is, without the chat template.")
    var raw = false

    func validate() throws {
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be at least 1") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be 0 or more") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let ctx, ctx < 1 { throw ValidationError("--ctx must be at least 1") }
    }

    func run() throws {
        let model = try modelOptions.load()
        let ids: [Int32]
        if raw {
            ids = model.encodeWithBOS(prompt, parseSpecial: false)
        } else {
            ids = try model.encodeChat([ChatMessage(role: "user", content: prompt)])
        }
        let parameters = SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP, seed: seed)
        try parameters.validate()
        let generator = Generator(
            model: model, contextLength: ctx, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        var detokenizer = StreamingDetokenizer(tokenizer: model.tokenizer)
        let stdout = FileHandle.standardOutput
        let stats = try generator.generate(prompt: ids, parameters: parameters, maxTokens: maxTokens) { token in
            let text = detokenizer.append(token)
            if !text.isEmpty { stdout.write(Data(text.utf8)) }
            return true
        }
        stdout.write(Data((detokenizer.finish() + "\n").utf8))
        let promptRate = Double(stats.promptTokens) / max(stats.promptSeconds, 1e-9)
        let generationRate = Double(stats.generatedTokens) / max(stats.generationSeconds, 1e-9)
        printError(
            "prompt: \(stats.promptTokens) tokens, \(String(format: "%.1f", promptRate)) tokens/s | "
                + "generation: \(stats.generatedTokens) tokens, \(String(format: "%.1f", generationRate)) tokens/s | "
                + "finish: \(stats.finishReason.rawValue)")
    }
}
