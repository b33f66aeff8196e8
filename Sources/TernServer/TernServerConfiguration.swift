public import TernEngine

/// Everything `tern serve` can be told: where to listen, what the models are called, sizes and limits.
public struct TernServerConfiguration: Sendable {
    /// Address to bind, e.g. `127.0.0.1`.
    public var host: String
    /// Port to bind; 0 picks a free one.
    public var port: Int
    /// Other names of the models (alias → id), so apps that hard-code `gpt-4` work unchanged.
    public var aliases: [String: String]
    /// Largest request body accepted; larger ones get 413.
    public var maxBodyBytes: Int
    /// How long a stream may stay silent (while a long prompt is processed) before a `: keep-alive` comment is sent.
    public var keepAliveInterval: Duration
    /// How long in-flight requests may run after SIGTERM before they are cancelled.
    public var gracePeriod: Duration
    /// Context length per sequence; nil means the model's own.
    public var contextLength: Int?
    /// Sequences generated at once.
    public var maxSequences: Int
    /// Requests that may wait for a free sequence before new ones get 503.
    public var maxQueue: Int
    /// Compute threads.
    public var threads: Int
    /// Resident bytes the KV cache may occupy; nil means room for every sequence at the full context.
    public var kvMemoryBytes: Int?
    /// Whether prompts reuse the keys and values of earlier ones that started the same way.
    public var prefixCache: Bool
    /// Most tokens in one forward pass (decode tokens plus prompt chunks).
    public var maxBatchTokens: Int
    /// Browser origins allowed to call the API (CORS); empty for none.
    public var corsOrigins: [String] = []
    /// A connection that sends nothing (not even the rest of a request's head) for this long is closed; a request
    /// body must arrive within it too. Nil for never.
    public var idleTimeout: Duration? = .seconds(30)
    /// Serve HTTPS (HTTP/2 or HTTP/1.1 by ALPN) with this certificate and key; nil for plain HTTP.
    public var tls: TLSFiles?
    /// Sampling values for fields a request leaves out, as the operator set them; the model's own recommendations
    /// (`general.sampling.*`) and then llama.cpp's values fill the rest.
    public var samplingDefaults = SamplingDefaults()
    /// Most tokens a chat completion generates when the request sets no `max_tokens` (never more than the context holds).
    public var defaultMaxTokens = 4096
    /// How long stored responses of the Responses API are kept.
    public var responseRetention: Duration = .seconds(30 * 24 * 3600)
    /// Log the prompt of every request (a debugging aid; keys are never logged).
    public var logPrompts = false
    /// Whether the chat page (`/`) and the console (`/console`) are served.
    public var webUI = true
    /// The most client connections open at once. At the limit a new connection takes the place of the connection idle
    /// longest; when every connection is busy it gets 503. Keep it well under the process's open-file limit.
    public var maxConnections = 512
    /// The most bytes the loaded models' weights and KV budgets may take together; nil for no bound. Idle models are
    /// unloaded, least recently used first, to make room for the one a request asks for.
    public var modelsMemoryBytes: Int?
    /// How long a model may sit idle before it is unloaded; nil for never.
    public var keepAlive: Duration?
    /// Ids of the models loaded at start; nil for the model when there is only one, else none.
    public var preload: [String]?
    /// Models served by other OpenAI-compatible servers, beside the local ones.
    public var upstreams: [Upstream] = []
    /// How long a connection may go without sending a request before it counts as idle, to be closed for a new one
    /// when the server is at ``maxConnections``.
    public var silentConnectionGrace: Duration = .seconds(5)

    /// A configuration.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, aliases: [String: String] = [:], maxBodyBytes: Int = 4 << 20,
        keepAliveInterval: Duration = .seconds(3), gracePeriod: Duration = .seconds(30), contextLength: Int? = nil, maxSequences: Int = 4,
        maxQueue: Int = 64, threads: Int = 1, kvMemoryBytes: Int? = nil, prefixCache: Bool = true, maxBatchTokens: Int = 64
    ) {
        self.host = host
        self.port = port
        self.aliases = aliases
        self.maxBodyBytes = maxBodyBytes
        self.keepAliveInterval = keepAliveInterval
        self.gracePeriod = gracePeriod
        self.contextLength = contextLength
        self.maxSequences = maxSequences
        self.maxQueue = maxQueue
        self.threads = threads
        self.kvMemoryBytes = kvMemoryBytes
        self.prefixCache = prefixCache
        self.maxBatchTokens = maxBatchTokens
    }
}

/// PEM files of a server certificate (chain) and its private key.
public struct TLSFiles: Sendable, Equatable {
    /// The certificate, followed by any intermediate certificates.
    public var certificatePath: String
    /// The private key.
    public var privateKeyPath: String

    /// Files for `--tls-cert` and `--tls-key`.
    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}
