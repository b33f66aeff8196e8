import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TernStore
import Testing

@testable import TernServer

extension ServerTests {
    /// The pages and their files: served from the binary without a key, with the page headers; off with `webUI`.
    /// (Tests/conformance/webui drives them in Chromium.)
    @Suite struct WebUITests {
        static let paths = ["/", "/console"] + WebAsset.files.keys.sorted().map { "/ui/\($0)" }

        @Test func everyFileIsServedWithThePageHeadersAndRevalidated() async throws {
            try await TestAccess.with { access in
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    for path in Self.paths {
                        let response = try await client.execute(uri: path, method: .get)
                        #expect(response.status == .ok, "\(path)")
                        #expect(response.body.readableBytes > 100, "\(path)")
                        for field in WebUIController.securityHeaders { #expect(response.headers[field.name] == field.value, "\(path) \(field.name)") }
                        let etag = try #require(response.headers[.eTag])
                        let again = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: etag])
                        #expect(again.status == .notModified)
                        #expect(again.body.readableBytes == 0)
                    }
                    #expect(try await client.execute(uri: "/", method: .get).headers[.contentType] == "text/html; charset=utf-8")
                    #expect(try await client.execute(uri: "/ui/chat.js", method: .get).headers[.contentType] == "text/javascript; charset=utf-8")
                    let missing = try await client.execute(uri: "/ui/secret.txt", method: .get)
                    #expect(missing.status == .notFound)
                    #expect(try missing.json()["error"] != nil)
                }
            }
        }

        @Test func theUICanBeTurnedOff() async throws {
            try await TestAccess.with { access in
                let server = try TestServer.make(access: access.control) { $0.webUI = false }
                try await TestServer.test(server) { client in
                    for path in Self.paths {
                        let status = try await client.execute(uri: path, method: .get).status
                        #expect(status == .notFound, "\(path)")
                    }
                }
            }
        }

        @Test func aKeyListsOnlyTheModelsItMayUse() async throws {
            try await TestAccess.with { access in
                let limited = try await access.key(NewAPIKey(name: "limited", models: ["gpt-4"]))
                let none = try await access.key(NewAPIKey(name: "none", models: ["elsewhere"]))
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    func ids(_ key: String) async throws -> [String] {
                        let list = try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer \(key)"]).json()
                        return (list["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
                    }
                    #expect(try await ids(limited) == ["gpt-4"])
                    #expect(try await ids(none) == [])
                    let hidden = try await client.execute(
                        uri: "/v1/models/\(TestServer.modelID)", method: .get, headers: [.authorization: "Bearer \(none)"])
                    #expect(hidden.status == .notFound)
                    let shown = try await client.execute(uri: "/v1/models/gpt-4", method: .get, headers: [.authorization: "Bearer \(limited)"])
                    #expect(shown.status == .ok)
                }
            }
        }

        @Test func aKeyReadsItsOwnUsageAndAnAdminEveryKeys() async throws {
            try await TestAccess.with { access in
                let admin = try await access.key(NewAPIKey(name: "root", isAdmin: true))
                let user = try await access.key(NewAPIKey(name: "user"))
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    let chat = #"{"model":"gpt-4","messages":[{"role":"user","content":"Hi"}],"max_tokens":2}"#
                    for key in [admin, user] {
                        let answer = try await client.execute(
                            uri: "/v1/chat/completions", method: .post, headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
                            body: ByteBuffer(string: chat))
                        #expect(answer.status == .ok)
                    }
                    func rows(_ uri: String, _ key: String) async throws -> (HTTPResponse.Status, [[String: Any]]) {
                        let response = try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(key)"])
                        guard response.status == .ok else { return (response.status, []) }
                        return (response.status, try response.json()["data"] as? [[String: Any]] ?? [])
                    }
                    let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
                    let own = try await rows("/usage", user)
                    #expect(own.1.map { $0["name"] as? String } == ["user"])
                    #expect(own.1.first?["period"] as? String == today)
                    #expect(own.1.first?["completion_tokens"] as? Int ?? 0 > 0)
                    #expect(try await rows("/usage?group=month", user).1.first?["period"] as? String == String(today.prefix(7)))
                    let future = try await rows("/usage?since=2999-01-01", user)
                    #expect(future.0 == .ok && future.1.isEmpty)
                    #expect(try await rows("/usage?group=week", user).0 == .badRequest)
                    #expect(try await rows("/usage?since=2026-02-30", user).0 == .badRequest)
                    #expect(try await rows("/admin/usage?group=day", user).0 == .forbidden)
                    let all = try await rows("/admin/usage?group=day", admin)
                    #expect(Set(all.1.compactMap { $0["name"] as? String }) == ["root", "user"])
                    // Without `group`, totals per key as before, idle keys included.
                    let totals = try await rows("/admin/usage", admin)
                    #expect(totals.0 == .ok && totals.1.count == 2 && totals.1.allSatisfy { $0["period"] == nil })
                }
            }
        }
    }
}
