import ArgumentParser
import Foundation
import Logging
import TernEngine
import TernServer
import TernStore

/// How `tern serve` writes its log.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the OpenAI API (chat completions, completions, embeddings, models) over HTTP.",
        discussion: """
            The socket is bound first; the model (with many models, those given to --preload) loads in the background and \
            GET /health answers 503 until it is ready. \
            SIGTERM or SIGINT stops accepting connections, lets requests in flight finish (up to --grace-period seconds), \
            then exits.

            Many models: give --model more than once, or --models-dir DIR for every GGUF in a folder. Each is called by \
            its file name without .gguf; a request for one that is not loaded loads it (and waits for it). Idle models \
            are unloaded after --keep-alive, and the least recently used ones make room when --models-memory would be \
            exceeded. A single model is loaded at start and stays loaded unless --keep-alive is given.

            Every /v1 and /admin request needs an API key (Authorization: Bearer KEY). On the first start with an empty \
            data folder, Tern creates an admin key and prints it once; make more with `tern keys create`. /health and \
            /openapi.json need no key. --no-auth lets anyone in, and only on a loopback address.

            Examples:
              tern serve
              tern serve --model model.gguf --port 8080 --model-alias gpt-4 --model-alias gpt-4o-mini
              tern serve --models-dir ~/models --models-memory 8GiB --keep-alive 10m --preload qwen2.5-7b-instruct-q4_k_m
              tern serve --max-sequences 8 --ctx 4096 --kv-memory 512MiB
              tern serve --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem --cors-origin https://app.example.com
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A GGUF model file to serve (repeatable). Default: the default model, fetched on first use; none for a gateway of --upstream models alone (no --models-dir).",
            valueName: "path"))
    var model: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Serve every GGUF file in this folder (with any --model). Without either, the default model is fetched into it "
                + "(or TERN_MODELS_DIR; default ~/.cache/tern/models).", valueName: "folder"))
    var modelsDir: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Memory the loaded models may take together (weights as loaded plus KV memory), e.g. 8GiB. Least recently used "
                + "models are unloaded to make room; models that do not fit together take turns.", valueName: "size"))
    var modelsMemory: ByteSize?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Unload a model idle this long: 30s, 5m, 1h, or never (default: 5m with many models, never with one).", valueName: "duration"))
    var keepAlive: KeepAlive?

    @Option(name: .long, help: ArgumentHelp("Load this model at start (repeatable; default: the model when there is only one).", valueName: "id"))
    var preload: [String] = []

    @OptionGroup var data: DataOptions

    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (0: any free port).")
    var port = 8080

    @Option(
        name: .customLong("model-alias"),
        help: ArgumentHelp(
            "Another name for a model, e.g. gpt-4 (repeatable); MODEL is an id or a --model path, the first model when left out.",
            valueName: "NAME[=MODEL]"))
    var modelAliases: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A YAML file of these options by their long names (see tern config --help); flags given here override it.",
            valueName: "file"))
    var config: String?

    @Option(
        name: .customLong("upstream"),
        help: ArgumentHelp(
            "A model served by another OpenAI-compatible server (repeatable): clients ask for ID, Tern sends the request to URL "
                + "(its API root, e.g. http://10.0.0.7:8080/v1) as model NAME (default: ID) with the key in environment variable VAR, "
                + "and streams the answer back; keys, limits and the ledger apply as to local models. Several with one ID are "
                + "deployments of one model: balanced by outstanding requests (times WEIGHT), failed over before the first byte. "
                + "With only --upstream models (no --model or --models-dir) Tern is a gateway and loads no model of its own.",
            valueName: "ID=URL[,model=NAME][,key-env=VAR][,weight=N]"))
    var upstreams: [String] = []

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

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Keep F32 embedding models in f32. By default, on CPUs that multiply bf16 pairs (AVX512_BF16), their matrices "
                + "are rounded to bf16: 1.4-1.65x the texts per second, embeddings within a cosine of 1e-4 of f32 ones."))
    var noBf16 = false

    @Option(
        name: .long,
        help: "Most tokens in one forward pass: one per running sequence plus prompt chunks. Smaller keeps streams smooth while prompts are read.")
    var batchTokens = 64

    @Option(name: .long, help: "Largest request body in bytes.")
    var maxBodyBytes = 4 << 20

    @Option(name: .long, help: "Seconds in-flight requests may run after SIGTERM before they are cancelled.")
    var gracePeriod = 30

    @Flag(name: .long, help: "No API keys, limits or ledger: anyone who reaches the port may use it. Loopback addresses only.")
    var noAuth = false

    @Option(name: .long, help: "Requests per minute for keys without their own limit.")
    var rpm = 600

    @Option(name: .long, help: "Tokens (prompt plus max completion) per minute for keys without their own limit.")
    var tpm = 1_000_000

    @Option(
        name: .long,
        help: ArgumentHelp("A browser origin allowed to call the API, e.g. https://app.example.com (repeatable). Default: none.", valueName: "ORIGIN")
    )
    var corsOrigin: [String] = []

    @Option(name: .long, help: "Certificate chain (PEM) to serve HTTPS with HTTP/2; needs --tls-key.")
    var tlsCert: String?

    @Option(name: .long, help: "Private key (PEM) of --tls-cert.")
    var tlsKey: String?

    @Option(name: .long, help: "Seconds a connection may stay silent (also mid-request) before it is closed; 0 for never.")
    var idleTimeout = 30

    @Option(
        name: .long,
        help: "Client connections open at once. At the limit a new one replaces the connection idle longest; when all are busy it gets 503.")
    var maxConnections = 512

    @Option(
        name: [.customLong("temperature"), .customLong("temp")],
        help: "Temperature for requests that set none (default: the model's general.sampling.temp, else 0.8).")
    var temperature: Float?

    @Option(name: .long, help: "Top-k for requests that set none; 0 turns it off (default: the model's, else 40).")
    var topK: Int?

    @Option(name: .long, help: "Top-p for requests that set none; 1 turns it off (default: the model's, else 0.95).")
    var topP: Float?

    @Option(name: .long, help: "Min-p for requests that set none; 0 turns it off (default: the model's, else 0.05).")
    var minP: Float?

    @Option(name: .long, help: "Repetition penalty for requests that set none; 1 turns it off (default: the model's, else 1).")
    var repeatPenalty: Float?

    @Option(
        name: .long,
        help: "Most tokens a chat completion generates when the request sets no max_tokens; never more than the context holds.")
    var maxTokensDefault = 4096

    @Option(
        name: .long,
        help: "Log lines as text for people, or json (one object per line) for log collectors. Either way one line per request.")
    var logFormat: LogFormat = .text

    @Flag(name: .long, help: "Log every prompt (a debugging aid; keys are never logged).")
    var logPrompts = false

    @Flag(name: .long, help: "Serve the API only: no chat page at / and no console at /console.")
    var noUi = false

    /// The models to serve: the default model when no model is given, unless the server is a gateway of `--upstream`
    /// models alone (no `--model`, no `--models-dir`).
    func servedModels() throws -> ServedModels {
        try ServedModels(files: model, folder: modelsDir, defaultWhenEmpty: upstreams.isEmpty || modelsDir != nil)
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let ctx, ctx < 1 { throw ValidationError("--ctx must be at least 1") }
        // Each sequence has a row in every step's scratch buffers (logits alone: a vocabulary of floats) and two KV slots.
        guard (1...1024).contains(maxSequences) else { throw ValidationError("--max-sequences must be between 1 and 1024") }
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must be 0 or more") }
        guard batchTokens >= 1 && batchTokens <= 4096 else { throw ValidationError("--batch-tokens must be between 1 and 4096") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        guard gracePeriod >= 0 else { throw ValidationError("--grace-period must be 0 or more") }
        guard rpm >= 1, tpm >= 1 else { throw ValidationError("--rpm and --tpm must be at least 1") }
        guard idleTimeout >= 0 else { throw ValidationError("--idle-timeout must be 0 or more") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard maxTokensDefault >= 1 else { throw ValidationError("--max-tokens-default must be at least 1") }
        var sampling = SamplingParameters()
        samplingDefaults.apply(to: &sampling)
        do {
            try sampling.validate()
        } catch {
            let option = ["temperature": "--temperature", "topK": "--top-k", "topP": "--top-p", "minP": "--min-p"][error.parameter.rawValue]
            throw ValidationError("\(option ?? "--repeat-penalty") \(error.message)")
        }
        if noAuth, !Self.isLoopback(host) {
            throw ValidationError(
                "--no-auth lets anyone who reaches the port use the server; it is refused on \(host). Use --host 127.0.0.1, or keys (tern keys create)."
            )
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        for origin in corsOrigin where origin == "*" || !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) {
            throw ValidationError("--cors-origin \(origin): give an origin such as https://app.example.com (no wildcards)")
        }
        let served = try servedModels()
        _ = try aliases(of: served)
        for id in preload where served.id(named: id) == nil {
            throw ValidationError("--preload \(id): no such model (served: \(served.entries.map(\.id).joined(separator: ", ")))")
        }
    }

    /// The sampling options given, for the fields requests leave out.
    var samplingDefaults: SamplingDefaults {
        SamplingDefaults(temperature: temperature, topK: topK, topP: topP, minP: minP, repetitionPenalty: repeatPenalty)
    }

    /// `--model-alias` values as alias → model id.
    func aliases(of served: ServedModels) throws -> [String: String] {
        guard let first = served.entries.first?.id else {
            if modelAliases.isEmpty { return [:] }
            throw ValidationError("--model-alias names a model of this server's own, and with only --upstream models it has none")
        }
        var aliases: [String: String] = [:]
        for value in modelAliases {
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            guard let name = parts.first, !name.isEmpty else { throw ValidationError("--model-alias needs a name, as in gpt-4=\(first)") }
            guard let id = parts.count == 2 ? served.id(named: parts[1]) : first else {
                throw ValidationError(
                    "--model-alias \(value): no model \(parts[1]) is served (served: \(served.entries.map(\.id).joined(separator: ", ")))")
            }
            aliases[name] = id
        }
        return aliases
    }

    /// Whether `host` is reachable from this machine only.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    func run() async throws {
        // Log lines go out through a thread of their own: a reader of standard error that stops reading must not hold
        // up the event loops that log.
        switch logFormat {
        case .json: LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        case .text: LoggingSystem.bootstrap { label in StreamLogHandler(label: label, stream: StandardErrorStream()) }
        }
        defer { StandardErrorWriter.shared.flush() }
        var logger = Logger(label: "tern")
        logger.logLevel = .info
        let served = try servedModels()
        var configuration = TernServerConfiguration(
            host: host, port: port, aliases: try aliases(of: served), maxBodyBytes: maxBodyBytes,
            gracePeriod: .seconds(gracePeriod), contextLength: ctx, maxSequences: maxSequences, maxQueue: maxQueue,
            threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, kvMemoryBytes: kvMemory?.bytes, prefixCache: !noPrefixCache,
            maxBatchTokens: batchTokens)
        configuration.corsOrigins = corsOrigin
        configuration.idleTimeout = idleTimeout > 0 ? .seconds(idleTimeout) : nil
        configuration.logPrompts = logPrompts
        configuration.webUI = !noUi
        configuration.samplingDefaults = samplingDefaults
        configuration.defaultMaxTokens = maxTokensDefault
        configuration.modelsMemoryBytes = modelsMemory?.bytes
        configuration.keepAlive = keepAlive.map(\.duration) ?? (served.entries.count > 1 ? .seconds(300) : nil)
        configuration.preload = preload.isEmpty ? nil : preload.map { served.id(named: $0) ?? $0 }
        try OpenFileLimit.raise(toFit: maxConnections)
        configuration.maxConnections = maxConnections
        configuration.upstreams = try upstreams.map { try UpstreamOption.parse($0) }
        if let tlsCert, let tlsKey { configuration.tls = TLSFiles(certificatePath: tlsCert, privateKeyPath: tlsKey) }
        var store: (any TernDatabase)?
        var access: AccessControl?
        var lock: DataFolderLock?
        if !noAuth {
            lock = try data.lockForServing()
            let opened = try await data.open()
            store = opened
            try await Self.createFirstKey(in: opened)
            access = AccessControl(store: opened, defaultLimits: KeyLimits(requestsPerMinute: rpm, tokensPerMinute: tpm))
        } else {
            logger.warning("--no-auth: every request is let in without a key")
        }
        let sources = served.sources(contextLength: ctx, options: LoadOptions(bf16EncoderWeights: !noBf16), logger: logger)
        let server: TernServer
        do {
            server = try TernServer(configuration: configuration, access: access, logger: logger, models: sources)
        } catch {
            throw ValidationError(error.description)
        }
        do {
            try await server.run()
        } catch {
            try? await store?.close()
            throw error
        }
        try? await store?.close()
        withExtendedLifetime(lock) {}
    }

    /// On a first start (no keys at all), creates an admin key and prints it once, with how to make more. Replicas
    /// starting together on one PostgreSQL database race for it: one creates it, the others find it made.
    static func createFirstKey(in store: any TernDatabase) async throws {
        guard try await store.keys().isEmpty else { return }
        let created: CreatedAPIKey
        do {
            created = try await store.create(NewAPIKey(name: "default", isAdmin: true))
        } catch let error as TernStoreError where error.code == .duplicateName {
            return
        }
        let place = store is PostgresStore ? "the database \(store.location)" : (store.location as NSString).deletingLastPathComponent
        let text = """

            Tern created its first API key, 'default' (an admin key). It is shown only this once:

                \(created.secret.value)

            Clients send it as 'Authorization: Bearer <key>' (the OpenAI SDKs read it from OPENAI_API_KEY).
            Make more keys with `tern keys create --name NAME` (see `tern keys --help`); they are kept in
            \(place).


            """
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
