public import Hummingbird
public import Logging
import ServiceLifecycle
public import TernEngine
import TernOpenAI
import TernScheduler

/// Tern's HTTP server: OpenAI's API over one model, with Hummingbird.
///
/// ```swift
/// let server = try TernServer(configuration: TernServerConfiguration(modelID: "smollm2")) { try LoadedModel(path: path) }
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

    /// A server that will serve the model returned by `load` (called once, on a thread of its own, after binding).
    public init(configuration: TernServerConfiguration, load: @escaping @Sendable () throws -> LoadedModel) throws(ModelNamesError) {
        self.configuration = configuration
        let names = try ModelNames(id: configuration.modelID, aliases: configuration.aliases)
        host = ModelHost(
            names: names,
            configuration: { model in
                SchedulerConfiguration(
                    maxSequences: configuration.maxSequences, contextLength: configuration.contextLength ?? model.config.contextLength,
                    maxBatchTokens: configuration.maxBatchTokens, maxQueue: configuration.maxQueue, threads: configuration.threads,
                    kvMemoryBytes: configuration.kvMemoryBytes, prefixCache: configuration.prefixCache)
            }, load: load)
    }

    /// The router with every route, behind the CORS and error middleware.
    public func makeRouter() -> Router<TernRequestContext> {
        let reader = RequestBodyReader(maxBytes: configuration.maxBodyBytes)
        let router = Router(context: TernRequestContext.self, options: .autoGenerateHeadEndpoints)
        // Browser apps call the API from other origins: answer preflights, mark every response (errors too) as shareable.
        router.add(middleware: CORSMiddleware(allowOrigin: .all))
        router.add(middleware: OpenAIErrorMiddleware(routes: Self.routeTable(maxBodyBytes: configuration.maxBodyBytes)))
        let chat = ChatController(host: host, bodyReader: reader, keepAliveInterval: configuration.keepAliveInterval)
        let completions = CompletionsController(host: host, bodyReader: reader, keepAliveInterval: configuration.keepAliveInterval)
        let info = InfoController(host: host)
        router.post("/v1/chat/completions") { request, context in try await chat.handle(request, context: context) }
        router.post("/v1/completions") { request, context in try await completions.handle(request, context: context) }
        router.get("/v1/models") { _, _ in info.models() }
        router.get("/v1/models/**") { _, context in try info.model(context.parameters.getCatchAll().joined(separator: "/")) }
        router.get("/health") { _, _ in info.health() }
        router.get("/openapi.json") { _, _ in info.openAPI() }
        return router
    }

    /// The application: the router on the configured address, with the model host as a service.
    ///
    /// Services stop in reverse order, so on shutdown the HTTP server finishes first and the scheduler after it.
    public func makeApplication(logger: Logger = Logger(label: "tern")) -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "tern"),
            services: [host], logger: logger)
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully within the grace period.
    public func run(logger: Logger = Logger(label: "tern")) async throws {
        var group = ServiceGroupConfiguration(
            services: [.init(service: makeApplication(logger: logger))], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.gracePeriod
        try await ServiceGroup(configuration: group).run()
    }

    static func routeTable(maxBodyBytes: Int) -> RouteTable {
        RouteTable(
            exact: [
                "/v1/chat/completions": ["POST"], "/v1/completions": ["POST"], "/v1/models": ["GET", "HEAD"], "/health": ["GET", "HEAD"],
                "/openapi.json": ["GET", "HEAD"],
            ], prefixes: [("/v1/models/", ["GET", "HEAD"])], maxBodyBytes: maxBodyBytes)
    }
}
