import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TernStore
import Testing

@testable import TernServer

extension ServerTests {
    /// Every route of the one route list, spelled every way a hostile client might, without a key, with a wrong
    /// key, and with a key that is not an admin key on admin routes: refused every time, and nothing happens.
    ///
    /// The routes come from ``TernServer/routes()``, so a new route is walked as soon as it exists.
    @Suite struct RouteWalkTests {
        /// The statuses of a refusal: no key or a bad one, not an admin, no such route, wrong method, malformed.
        static let refusals: Set<Int> = [400, 401, 403, 404, 405]

        @Test func everySpellingOfEveryProtectedRouteIsRefusedWithoutSideEffects() async throws {
            try await TestAccess.with { access in
                let admin = try await access.key(NewAPIKey(name: "root", isAdmin: true))
                let user = try await access.key(NewAPIKey(name: "user"))
                let server = try TestServer.make(access: access.control)
                let routes = server.routes()
                #expect(routes.contains { $0.needsAdmin } && routes.contains { $0.isOpen })
                try await TestServer.test(server, .live) { client in
                    let port = try #require(client.port)
                    var walked = 0
                    for route in routes where !route.isOpen {
                        let path = Self.concrete(route.path)
                        let keys: [String?] = [nil, "tern-wrong0000000000000000000000000000000000"] + (route.needsAdmin ? [user] : [])
                        // The route's method (and HEAD, which GET routes answer too) in every spelling; every other
                        // method on the plain path.
                        let methods = [route.method] + (route.method == .get ? [.head] : [])
                        let requests =
                            methods.flatMap { method in Self.spellings(of: path, port: port).map { (method, $0) } }
                            + TernServer.answeredMethods.filter { !methods.contains($0) }.map { ($0, path) }
                        for (method, spelling) in requests {
                            for key in keys {
                                let status = try Self.send(method, spelling, body: Self.body(for: route.path), key: key, port: port)
                                #expect(
                                    status.map { Self.refusals.contains($0) } == true,
                                    "\(method) \(spelling) with \(key == nil ? "no key" : key == user ? "a user key" : "a wrong key"): \(status.map(String.init) ?? "no answer")"
                                )
                                walked += 1
                            }
                        }
                    }
                    #expect(walked > 1000)
                    // Nothing happened: no key made or revoked, no ledger row, no token generated.
                    let keys = try await access.store.keys()
                    #expect(keys.map(\.name) == ["root", "user"])
                    #expect(keys.allSatisfy { $0.revokedAt == nil })
                    #expect(try await access.store.usage(since: nil).allSatisfy { $0.requests == 0 })
                    let metrics = try #require(server.models.scheduler(of: TestServer.modelID)).metrics
                    #expect(metrics.promptTokens == 0 && metrics.requestsFinished == 0)

                    // The same spellings with the right key do reach the routes: the refusals above were the checks'.
                    let userID = try #require(keys.first { $0.name == "user" }).id
                    try await access.control.responses.save(
                        StoredResponse(
                            id: Self.responseID, keyID: userID, createdAt: Date(), expiresAt: Date(timeIntervalSinceNow: 600), body: "{}",
                            conversation: "[]"))
                    for route in routes where route.method == .get && !route.isOpen {
                        let path = Self.concrete(route.path)
                        let key = route.needsAdmin ? admin : user
                        for spelling in ["/" + path, path + "/", "http://127.0.0.1:\(port)/" + path] {
                            let status = try Self.send(.get, spelling, body: nil, key: key, port: port)
                            #expect(status == 200, "GET \(spelling) with the right key: \(status.map(String.init) ?? "no answer")")
                        }
                    }
                }
            }
        }

        /// A path of the pattern: parameters name things that exist, so a request that got through would change them.
        static func concrete(_ pattern: String) -> String {
            pattern.replacingOccurrences(of: "{key}", with: "user").replacingOccurrences(of: "**", with: "gpt-4")
                .replacingOccurrences(of: "{id}", with: responseID)
        }

        /// The stored response that `/v1/responses/{id}` names.
        static let responseID = "resp_walk"

        /// A body that the route would act on if it were let through.
        static func body(for pattern: String) -> String {
            switch pattern {
            case "/admin/keys": #"{"name":"evil","admin":true}"#
            case "/v1/chat/completions": #"{"model":"gpt-4","messages":[{"role":"user","content":"Hi"}],"max_tokens":2}"#
            case "/v1/completions": #"{"model":"gpt-4","prompt":"Hi","max_tokens":2}"#
            default: "{}"
            }
        }

        /// Request targets that a lenient path check might read differently from the router.
        static func spellings(of path: String, port: Int) -> [String] {
            let segments = path.split(separator: "/").map(String.init)
            let bare = String(path.dropFirst())
            let first = segments[0]
            let rest = segments.dropFirst().joined(separator: "/")
            return [
                path, "/" + path, "//" + bare + "//", path + "/", "/" + segments.joined(separator: "//"), "/./" + bare, path + "/.",
                "/x/../" + bare, "/health/../" + bare, "/health/..%2F" + bare, "/openapi.json/../" + bare,
                "/" + segments.joined(separator: "%2F"), "/%2F" + bare, "/%2E/" + bare, "/%2e%2e/" + bare,
                "/%" + String(format: "%02X", Int(first.utf8.first!)) + first.dropFirst() + (rest.isEmpty ? "" : "/" + rest),
                path.uppercased(), "/" + first.capitalized + (rest.isEmpty ? "" : "/" + rest), path + "?", path + "?x=1", path + "?/health",
                path + "#x", path + ";x", "http://127.0.0.1:\(port)" + path, "http://127.0.0.1:\(port)/" + path, "http://evil.example//" + bare,
                bare, path.replacingOccurrences(of: "/", with: "\\"),
            ]
        }

        /// Sends one request on a connection of its own and returns the answer's status (nil when none came).
        static func send(_ method: HTTPRequest.Method, _ target: String, body: String?, key: String?, port: Int) throws -> Int? {
            let connection = try RawConnection(port: port, timeoutSeconds: 60)
            defer { connection.close() }
            var head = "\(method.rawValue) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            if let key { head += "Authorization: Bearer \(key)\r\n" }
            if let body, method != .get { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
            connection.write(head + "\r\n" + (method != .get ? body ?? "" : ""))
            let answer = connection.receive { _ in false }
            guard answer.hasPrefix("HTTP/1.1 "), let code = Int(answer.dropFirst(9).prefix(3)) else { return nil }
            return code
        }
    }
}
