public import Hummingbird
import TernOpenAI

extension TernServer {
    /// Every route the server serves, with who may call it: the one list the router is built from.
    ///
    /// The admin API is served only with access control (it manages the keys).
    public func routes() -> [TernRoute] {
        let reader = RequestBodyReader(maxBytes: configuration.maxBodyBytes, timeout: configuration.idleTimeout)
        let chat = ChatController(
            models: models, bodyReader: reader, keepAliveInterval: configuration.keepAliveInterval, logPrompts: configuration.logPrompts,
            connections: connections)
        let completions = CompletionsController(
            models: models, bodyReader: reader, keepAliveInterval: configuration.keepAliveInterval, logPrompts: configuration.logPrompts,
            connections: connections)
        let messages = MessagesController(
            models: models, bodyReader: reader, keepAliveInterval: configuration.keepAliveInterval, logPrompts: configuration.logPrompts,
            connections: connections)
        let responses = ResponsesController(
            models: models, bodyReader: reader, keepAliveInterval: configuration.keepAliveInterval, logPrompts: configuration.logPrompts,
            connections: connections, store: responseStore, retention: configuration.responseRetention)
        let embeddings = EmbeddingsController(models: models, bodyReader: reader, connections: connections)
        let tokenizer = TokenizerController(models: models, bodyReader: reader)
        var upstreamIDs: [String] = []
        for upstream in configuration.upstreams where !upstreamIDs.contains(upstream.id) { upstreamIDs.append(upstream.id) }
        let info = InfoController(fleet: models, upstreams: upstreamIDs)
        let proxy =
            configuration.upstreams.isEmpty
            ? nil
            : UpstreamProxy(pool: UpstreamPool(configuration.upstreams), bodyReader: reader, defaultMaxTokens: configuration.defaultMaxTokens)
        let metrics = MetricsController(models: models)
        var routes = [
            TernRoute(.post, "/v1/chat/completions", access: .meteredWithTokens) { request, context in
                var request = request
                if let answer = try await proxy?.forward(&request, context: context, endpoint: .chatCompletions) { return answer }
                try await context.access?.admit()
                return try await chat.handle(request, context: context)
            },
            TernRoute(.post, "/v1/completions", access: .meteredWithTokens) { request, context in
                var request = request
                if let answer = try await proxy?.forward(&request, context: context, endpoint: .completions) { return answer }
                try await context.access?.admit()
                return try await completions.handle(request, context: context)
            },
            TernRoute(.post, "/v1/messages", errorStyle: .anthropic) { request, context in try await messages.create(request, context: context) },
            TernRoute(.post, "/v1/messages/count_tokens", errorStyle: .anthropic) { request, context in
                try await messages.countTokens(request, context: context)
            },
            TernRoute(.post, "/v1/responses") { request, context in try await responses.create(request, context: context) },
            TernRoute(.get, "/v1/responses/{id}") { _, context in try await responses.get(try context.parameters.require("id"), context: context) },
            TernRoute(.delete, "/v1/responses/{id}") { _, context in
                try await responses.delete(try context.parameters.require("id"), context: context)
            },
            TernRoute(.post, "/v1/embeddings", access: .meteredWithTokens) { request, context in
                var request = request
                if let answer = try await proxy?.forward(&request, context: context, endpoint: .embeddings) { return answer }
                try await context.access?.admit()
                return try await embeddings.create(request, context: context)
            },
            TernRoute(.get, "/v1/models") { _, context in info.models(for: context.key) },
            TernRoute(.post, "/tokenize") { request, context in try await tokenizer.tokenize(request, context: context) },
            TernRoute(.post, "/detokenize") { request, context in try await tokenizer.detokenize(request, context: context) },
            TernRoute(.post, "/apply-template") { request, context in try await tokenizer.applyTemplate(request, context: context) },
            TernRoute(.get, "/v1/models/**") { _, context in
                try info.model(context.parameters.getCatchAll().joined(separator: "/"), for: context.key)
            },
            TernRoute(.get, "/metrics", access: .anyKey) { _, _ in metrics.metrics() },
            TernRoute(.get, "/health", access: .open) { _, _ in info.health() },
            TernRoute(.get, "/openapi.json", access: .open) { _, _ in info.openAPI() },
        ]
        if configuration.webUI {
            let web = WebUIController()
            routes += [
                TernRoute(.get, "/", access: .open) { request, _ in web.serve(.chat, request: request) },
                TernRoute(.get, "/console", access: .open) { request, _ in web.serve(.console, request: request) },
                TernRoute(.get, "/ui/{file}", access: .open) { request, context in
                    try web.file(try context.parameters.require("file"), request: request)
                },
            ]
        }
        if let access {
            let admin = AdminController(keys: access.keys, models: models, bodyReader: reader)
            let usage = UsageController(ledger: access.ledger)
            routes += [
                TernRoute(.post, "/admin/keys", access: .admin) { request, context in
                    try await admin.create(request, by: try AdminKey(context.adminKey))
                },
                TernRoute(.get, "/admin/keys", access: .admin) { _, context in try await admin.list(by: try AdminKey(context.adminKey)) },
                TernRoute(.delete, "/admin/keys/{key}", access: .admin) { _, context in
                    try await admin.revoke(try context.parameters.require("key"), by: try AdminKey(context.adminKey))
                },
                TernRoute(.get, "/admin/usage", access: .admin) { request, context in
                    try await usage.all(request, by: try AdminKey(context.adminKey))
                },
                TernRoute(.get, "/usage", access: .anyKey) { request, context in
                    guard let key = context.key else { throw OpenAIError.missingAPIKey }
                    return try await usage.own(request, key: key)
                },
                TernRoute(.post, "/admin/models/{model}/load", access: .admin) { _, context in
                    try await admin.load(try context.parameters.require("model"), by: try AdminKey(context.adminKey))
                },
                TernRoute(.post, "/admin/models/{model}/unload", access: .admin) { _, context in
                    try await admin.unload(try context.parameters.require("model"), by: try AdminKey(context.adminKey))
                },
            ]
        }
        return routes
    }

    /// The router: every route of ``routes()`` behind its own access check, 405 for the other methods of a served path,
    /// 404 for everything else; every error in OpenAI's envelope.
    ///
    /// A route's check is part of that route's responder, so it runs exactly when the router picked that route,
    /// whatever the spelling of the path (doubled slashes, a trailing slash, an absolute-form target).
    public func makeRouter() -> Router<TernRequestContext> {
        let router = Router(context: TernRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: AccessLogMiddleware())
        // Browser apps on the listed origins only: preflights carry no key, so CORS comes before authentication.
        if !configuration.corsOrigins.isEmpty { router.add(middleware: CORSOriginMiddleware(origins: Set(configuration.corsOrigins))) }
        let errors = OpenAIErrorMiddleware<TernRequestContext>(maxBodyBytes: configuration.maxBodyBytes)
        router.add(middleware: errors)
        let routes = routes()
        for route in routes {
            let group = router.group()
            group.add(middleware: RouteLogMiddleware(route: route.path))
            let errors = OpenAIErrorMiddleware<TernRequestContext>(maxBodyBytes: configuration.maxBodyBytes, style: route.errorStyle)
            // The route's own style for everything the access check and the handler throw.
            if route.errorStyle != .openAI { group.add(middleware: errors) }
            if route.access != .open {
                if let access {
                    group.add(
                        middleware: AccessMiddleware(control: access, access: route.access, endpoint: route.path, style: route.errorStyle))
                } else {
                    precondition(route.access != .admin, "admin routes are served only with access control")
                }
            }
            // Inside the access check too, so that it sees every error as the response the client gets.
            group.add(middleware: errors)
            group.on(RouterPath(route.path), method: route.method, use: route.handler)
        }
        for (path, served) in Dictionary(grouping: routes, by: \.path) {
            let allowed = served.map(\.method) + (served.contains { $0.method == .get } ? [.head] : [])
            let names = allowed.map(\.rawValue)
            let style = served[0].errorStyle
            for method in Self.answeredMethods where !allowed.contains(method) {
                router.on(RouterPath(path), method: method) { request, _ -> Response in
                    OpenAIHTTPError.response(
                        for: .methodNotAllowed(method: method.rawValue, path: request.uri.path, allowed: names), style: style)
                }
            }
        }
        return router
    }

    /// Methods answered with 405 on a served path that does not take them (any other method is a 404).
    static let answeredMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]
}
