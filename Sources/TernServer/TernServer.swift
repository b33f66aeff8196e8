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

/// Tern's HTTP server: OpenAI's API over one model, with Hummingbird.
///
/// ```swift
/// let server = try TernServer(configuration: TernServerConfiguration(modelID: "smollm2"), access: nil) { try LoadedModel(path: path) }
/// try await server.run()   // until SIGTERM or SIGINT
/// ```
///
/// The socket is bound first and the model loads in the background (`/health` answers 503 until it is ready). On
/// SIGTERM the server stops accepting connections, lets in-flight requests and streams finish for up to
/// ``TernServerConfiguration/gracePeriod`` (then cancels them), stops the scheduler and returns.
public struct TernServer: Sendable {
    /// The version in `system_fingerprint`.
    public static let version = "0.1.0"

    /// Where to listen and what to serve.
    public let configuration: TernServerConfiguration
    /// The model and its scheduler.
    public let host: ModelHost
    /// Keys, limits and the ledger; nil when every request is let in (`--no-auth`).
    public let access: AccessControl?
    /// Where the server, its requests and its scheduler log.
    public let logger: Logger

    /// A server that will serve the model returned by `load` (called once, on a thread of its own, after binding).
    ///
    /// - Parameters:
    ///   - access: keys, limits and ledger; nil lets every request in without a key.
    ///   - logger: where the server, its requests and its scheduler log.
    public init(
        configuration: TernServerConfiguration, access: AccessControl?, logger: Logger = Logger(label: "tern"),
        load: @escaping @Sendable () throws -> LoadedModel
    ) throws(ModelNamesError) {
        self.configuration = configuration
        self.access = access
        self.logger = logger
        let names = try ModelNames(id: configuration.modelID, aliases: configuration.aliases)
        host = ModelHost(
            names: names,
            configuration: { model in
                SchedulerConfiguration(
                    maxSequences: configuration.maxSequences, contextLength: configuration.contextLength ?? model.config.contextLength,
                    maxBatchTokens: configuration.maxBatchTokens, maxQueue: configuration.maxQueue, threads: configuration.threads,
                    kvMemoryBytes: configuration.kvMemoryBytes, prefixCache: configuration.prefixCache)
            }, logger: logger, load: load)
    }

    /// The router with every route, behind the CORS, access and error middleware (in that order).
    public func makeRouter() -> Router<TernRequestContext> {
        let reader = RequestBodyReader(maxBytes: configuration.maxBodyBytes, timeout: configuration.idleTimeout)
        let router = Router(context: TernRequestContext.self, options: .autoGenerateHeadEndpoints)
        // Browser apps on the listed origins only: preflights carry no key, so CORS comes before authentication.
        if !configuration.corsOrigins.isEmpty { router.add(middleware: CORSOriginMiddleware(origins: Set(configuration.corsOrigins))) }
        if let access { router.add(middleware: AccessMiddleware(control: access)) }
        router.add(middleware: OpenAIErrorMiddleware(routes: Self.routeTable(maxBodyBytes: configuration.maxBodyBytes)))
        let chat = ChatController(
            host: host, bodyReader: reader, keepAliveInterval: configuration.keepAliveInterval, logPrompts: configuration.logPrompts)
        let completions = CompletionsController(
            host: host, bodyReader: reader, keepAliveInterval: configuration.keepAliveInterval, logPrompts: configuration.logPrompts)
        let info = InfoController(host: host)
        if let access {
            let admin = AdminController(keys: access.keys, ledger: access.ledger, bodyReader: reader)
            router.post("/admin/keys") { request, _ in try await admin.create(request) }
            router.get("/admin/keys") { _, _ in try await admin.list() }
            router.delete("/admin/keys/{key}") { _, context in try await admin.revoke(try context.parameters.require("key")) }
            router.get("/admin/usage") { _, _ in try await admin.usage() }
        }
        router.post("/v1/chat/completions") { request, context in try await chat.handle(request, context: context) }
        router.post("/v1/completions") { request, context in try await completions.handle(request, context: context) }
        router.get("/v1/models") { _, _ in info.models() }
        router.get("/v1/models/**") { _, context in try info.model(context.parameters.getCatchAll().joined(separator: "/")) }
        router.get("/health") { _, _ in info.health() }
        router.get("/openapi.json") { _, _ in info.openAPI() }
        let metrics = MetricsController(host: host)
        router.get("/metrics") { _, _ in metrics.metrics() }
        return router
    }

    /// The application: the router on the configured address, with the model host as a service.
    ///
    /// Services stop in reverse order, so on shutdown the HTTP server finishes first and the scheduler after it.
    public func makeApplication() throws -> some ApplicationProtocol {
        Application(
            router: makeRouter(), server: try makeServerBuilder(),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "tern"),
            services: [host], logger: logger)
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
        http1.additionalChannelHandlers = { [OversizedHeadHandler(bytes: headerBytes, fields: headerFields)] }
        guard let tls = configuration.tls else { return .http1(configuration: http1) }
        var stream = http1
        stream.additionalChannelHandlers = { [OversizedHeadHandler(bytes: headerBytes, fields: headerFields), HTTP2ConnectionHeaderFilter()] }
        let certificates = try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)
        let tlsConfiguration = TLSConfiguration.makeServerConfiguration(certificateChain: certificates, privateKey: .privateKey(key))
        return try .http2Upgrade(
            tlsConfiguration: tlsConfiguration,
            configuration: HTTP2UpgradeChannel.Configuration(idleTimeout: configuration.idleTimeout, streamConfiguration: stream))
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully within the grace period.
    public func run() async throws {
        var group = ServiceGroupConfiguration(
            services: [.init(service: try makeApplication())], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.gracePeriod
        try await ServiceGroup(configuration: group).run()
    }

    static func routeTable(maxBodyBytes: Int) -> RouteTable {
        RouteTable(
            exact: [
                "/v1/chat/completions": ["POST"], "/v1/completions": ["POST"], "/v1/models": ["GET", "HEAD"], "/health": ["GET", "HEAD"],
                "/openapi.json": ["GET", "HEAD"], "/metrics": ["GET", "HEAD"], "/admin/keys": ["GET", "HEAD", "POST"],
                "/admin/usage": ["GET", "HEAD"],
            ], prefixes: [("/v1/models/", ["GET", "HEAD"]), ("/admin/keys/", ["DELETE"])], maxBodyBytes: maxBodyBytes)
    }
}
