import ArgumentParser
import Foundation
import Logging
import TernEngine
import TernServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the OpenAI API (chat completions, completions, models) over HTTP.",
        discussion: """
            The socket is bound first; the model loads in the background and GET /health answers 503 until it is ready. \
            SIGTERM or SIGINT stops accepting connections, lets requests in flight finish (up to --grace-period seconds), \
            then exits. Any bearer key, or none, is accepted.

            Examples:
              tern serve
              tern serve --model model.gguf --port 8080 --model-alias gpt-4 --model-alias gpt-4o-mini
              tern serve --max-sequences 8 --ctx 4096 --kv-memory 512MiB
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (0: any free port).")
    var port = 8080

    @Option(
        name: .customLong("model-alias"),
        help: ArgumentHelp("Another name for the model, e.g. gpt-4 (repeatable). NAME=MODEL must name the served model.", valueName: "NAME[=MODEL]"))
    var modelAliases: [String] = []

    @Option(name: [.customShort("t"), .long], help: "Compute threads (default: one per core).")
    var threads: Int?

    @Option(name: .long, help: "Context length per sequence in tokens (default: the model's).")
    var ctx: Int?

    @Option(name: .long, help: "Sequences generated at once (continuous batching); each may use the whole context.")
    var maxSequences = 4

    @Option(name: .long, help: "Requests that may wait for a free sequence before new ones get 503 overloaded with retry-after.")
    var maxQueue = 64

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Resident memory for keys and values, e.g. 512MiB (default: room for --max-sequences sequences at the full context). "
                + "Must hold one full context; when sequences need more, the newest waits and is recomputed later.",
            valueName: "size"))
    var kvMemory: ByteSize?

    @Flag(name: .long, help: "Do not reuse the keys and values of earlier prompts that start the same way (for benchmarks).")
    var noPrefixCache = false

    @Option(
        name: .long,
        help: "Most tokens in one forward pass: one per running sequence plus prompt chunks. Smaller keeps streams smooth while prompts are read.")
    var batchTokens = 64

    @Option(name: .long, help: "Largest request body in bytes.")
    var maxBodyBytes = 4 << 20

    @Option(name: .long, help: "Seconds in-flight requests may run after SIGTERM before they are cancelled.")
    var gracePeriod = 30

    /// The id clients use: the model file's name without `.gguf`.
    var modelID: String {
        let file = URL(fileURLWithPath: modelOptions.model ?? DefaultModel.fileName).lastPathComponent
        return file.hasSuffix(".gguf") ? String(file.dropLast(5)) : file
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let ctx, ctx < 1 { throw ValidationError("--ctx must be at least 1") }
        guard maxSequences >= 1 else { throw ValidationError("--max-sequences must be at least 1") }
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must be 0 or more") }
        guard batchTokens >= 1 && batchTokens <= 4096 else { throw ValidationError("--batch-tokens must be between 1 and 4096") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        guard gracePeriod >= 0 else { throw ValidationError("--grace-period must be 0 or more") }
        _ = try aliases()
    }

    /// `--model-alias` values as alias → model id.
    func aliases() throws -> [String: String] {
        var aliases: [String: String] = [:]
        for value in modelAliases {
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            guard let name = parts.first, !name.isEmpty else { throw ValidationError("--model-alias needs a name, as in gpt-4=\(modelID)") }
            let target = parts.count == 2 ? parts[1] : modelID
            guard target == modelID || target == modelOptions.model else {
                throw ValidationError("--model-alias \(value): the served model is \(modelID)")
            }
            aliases[name] = modelID
        }
        return aliases
    }

    func run() async throws {
        var logger = Logger(label: "tern")
        logger.logLevel = .info
        let configuration = TernServerConfiguration(
            host: host, port: port, modelID: modelID, aliases: try aliases(), maxBodyBytes: maxBodyBytes,
            gracePeriod: .seconds(gracePeriod), contextLength: ctx, maxSequences: maxSequences, maxQueue: maxQueue,
            threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, kvMemoryBytes: kvMemory?.bytes, prefixCache: !noPrefixCache,
            maxBatchTokens: batchTokens)
        let options = modelOptions
        let log = logger
        let server = try TernServer(configuration: configuration) {
            let path = try options.resolvePath()
            log.info("loading model", metadata: ["model.path": "\(path)"])
            let model = try LoadedModel(path: path)
            log.info("model ready", metadata: ["model.id": "\(configuration.modelID)"])
            return model
        }
        try await server.run(logger: logger)
    }
}
