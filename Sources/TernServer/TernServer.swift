public import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
public import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
public import TernEngine
import TernOpenAI
import TernScheduler
import TernStore

/// Tern's HTTP server: OpenAI's API over one or more models, with Hummingbird.
///
/// ```swift
/// let source = ModelSource(id: "smollm2", path: { path }, load: { try LoadedModel(path: path) })
/// let server = try TernServer(configuration: TernServerConfiguration(), access: nil, models: [source])
/// try await server.run()   // until SIGTERM or SIGINT
/// ```
///
/// The socket is bound first and the preloaded models load in the background (`/health` answers 503 until they are
/// ready); the others load when a request asks for them. On SIGTERM the server stops accepting connections, lets
/// in-flight requests and streams finish for up to ``TernServerConfiguration/gracePeriod`` (then cancels them), stops
/// the schedulers and returns.
public struct TernServer: Sendable {
    /// The version in `system_fingerprint`.
    public static let version = "0.1.0"

    /// Where to listen and what to serve.
    public let configuration: TernServerConfiguration
    /// The models and their schedulers.
    public let models: ModelFleet
    /// Keys, limits and the ledger; nil when every request is let in (`--no-auth`).
    public let access: AccessControl?
    /// Where the server, its requests and its scheduler log.
    public let logger: Logger
    /// The open connections: bounded by ``TernServerConfiguration/maxConnections``, watched for hang-ups.
    let connections: ConnectionRegistry
    /// Stored responses of the Responses API: the access control's store, or memory without one.
    let responseStore: any ResponseStore

    /// A server of the models `sources` (each loaded on a thread of its own, when preloaded or first asked for).
    ///
    /// - Parameters:
    ///   - access: keys, limits and ledger; nil lets every request in without a key.
    ///   - logger: where the server, its requests and its schedulers log.
    public init(
        configuration: TernServerConfiguration, access: AccessControl?, logger: Logger = Logger(label: "tern"), models sources: [ModelSource]
    ) throws(ModelNamesError) {
        self.configuration = configuration
        self.access = access
        self.logger = logger
        responseStore = access?.responses ?? InMemoryResponseStore()
        connections = ConnectionRegistry(maxConnections: configuration.maxConnections, silentGrace: TimeAmount(configuration.silentConnectionGrace))
        let policy = ModelFleet.Policy(
            memoryBytes: configuration.modelsMemoryBytes, keepAlive: configuration.keepAlive,
            preload: configuration.preload ?? (sources.count == 1 ? sources.map(\.id) : []),
            maxWaiting: configuration.maxSequences + configuration.maxQueue)
        models = try ModelFleet(
            sources: sources, aliases: configuration.aliases, policy: policy, threads: configuration.threads,
            samplingOptions: configuration.samplingDefaults, defaultMaxTokens: configuration.defaultMaxTokens, logger: logger
        ) { config in
            SchedulerConfiguration(
                maxSequences: configuration.maxSequences, contextLength: configuration.contextLength ?? config.contextLength,
                maxBatchTokens: configuration.maxBatchTokens, maxQueue: configuration.maxQueue, threads: configuration.threads,
                kvMemoryBytes: configuration.kvMemoryBytes, prefixCache: configuration.prefixCache)
        }
        guard !sources.isEmpty || !configuration.upstreams.isEmpty else { throw ModelNamesError(description: "no model to serve") }
        // Several upstreams may share an id (deployments of one model), but no local model may have it.
        for upstream in configuration.upstreams where models.names.serves(upstream.id) {
            throw ModelNamesError(description: "two models are called \(upstream.id); give the upstream another id")
        }
    }

    /// A server of one model, `id`, opened by `load`.
    public init(
        configuration: TernServerConfiguration, access: AccessControl?, logger: Logger = Logger(label: "tern"), modelID id: String,
        load: @escaping @Sendable () throws -> LoadedModel
    ) throws(ModelNamesError) {
        try self.init(configuration: configuration, access: access, logger: logger, models: [ModelSource(id: id, path: { nil }, load: load)])
    }

    /// The application: the router on the configured address, with the models as a service.
    ///
    /// Services stop in reverse order, so on shutdown the HTTP server finishes first and the schedulers after it.
    public func makeApplication() throws -> some ApplicationProtocol {
        let logger = logger
        let configuration = ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "tern",
            availableConnectionsDelegate: ConnectionLimit(maxConnections: configuration.maxConnections))
        return Application(
            router: makeRouter(), server: try makeServerBuilder(), configuration: configuration, services: [models],
            onServerRunning: { listener in
                // One accept per wake-up, so that the gate is asked before each; and no busy loop when out of descriptors.
                do {
                    try await listener.setOption(ChannelOptions.maxMessagesPerRead, value: 1)
                    try await listener.eventLoop.submit {
                        let pause = AcceptPauseHandler { reason in logger.warning("\(reason)") }
                        try listener.pipeline.syncOperations.addHandler(pause, position: .first)
                    }.get()
                } catch {
                    logger.error("the listener's accept limits could not be set", metadata: ["error": "\(error)"])
                }
            }, logger: logger)
    }

    /// HTTP/1.1, or with TLS files HTTP/2 and HTTP/1.1 by ALPN; both with the idle timeout and header limits.
    func makeServerBuilder() throws -> HTTPServerBuilder {
        let idle = configuration.idleTimeout.map { TimeAmount($0) }
        // 16 KiB of header fields in all: a request to this API needs far less, and larger heads get 431 and a close.
        let headerBytes = 16 << 10
        let headerFields = 100
        let decoder = HTTP1Channel.Configuration.DecoderConfiguration(
            maxHeaderFieldSize: headerBytes, maxHeaderListSize: headerBytes, maxHeaderFieldCount: headerFields)
        var http1 = HTTP1Channel.Configuration(idleTimeout: idle, httpDecoderConfiguration: decoder)
        let connections = connections
        // Inbound in this order after the HTTP/1 codec, outbound in reverse: parse errors are answered first, and the
        // tracker, next to the application, sees every request and response.
        http1.additionalChannelHandlers = {
            [
                HTTPParseErrorHandler(headerBytes: headerBytes, headerFields: headerFields), CloseAfterResponseHandler(),
                ConnectionTracker(registry: connections),
            ]
        }
        guard let tls = configuration.tls else {
            let http1 = http1
            return HTTPServerBuilder { responder in
                GuardedChildChannel(base: HTTP1Channel(responder: responder, configuration: http1), registry: connections, plainHTTP: true)
            }
        }
        var stream = http1
        stream.additionalChannelHandlers = {
            [
                HTTPParseErrorHandler(headerBytes: headerBytes, headerFields: headerFields), CloseAfterResponseHandler(),
                HTTP2ConnectionHeaderFilter(), ConnectionTracker(registry: connections),
            ]
        }
        let certificates = try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)
        let tlsConfiguration = TLSConfiguration.makeServerConfiguration(certificateChain: certificates, privateKey: .privateKey(key))
        let http2 = HTTP2UpgradeChannel.Configuration(idleTimeout: configuration.idleTimeout, streamConfiguration: stream)
        return HTTPServerBuilder { responder in
            GuardedChildChannel(
                base: try HTTP2UpgradeChannel(tlsConfiguration: tlsConfiguration, configuration: http2, responder: responder),
                registry: connections, plainHTTP: false)
        }
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully within the grace period.
    public func run() async throws {
        var group = ServiceGroupConfiguration(
            services: [.init(service: try makeApplication())], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.gracePeriod
        try await ServiceGroup(configuration: group).run()
    }
}
