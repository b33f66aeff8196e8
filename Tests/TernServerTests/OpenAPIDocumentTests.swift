import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import TernServer

extension ServerTests {
    /// `GET /openapi.json` serves the repository's document.
    @Suite struct OpenAPIDocumentTests {
        static let repositoryDocument = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.json")

        @Test func theBinaryCarriesTheRepositoryDocument() throws {
            #expect(OpenAPIDocument.text == (try String(contentsOf: Self.repositoryDocument, encoding: .utf8)))
        }

        /// The document describes every served route, admin and metrics included, and nothing that is not served: a
        /// new route fails this test until it is described.
        @Test func everyRouteIsDescribed() async throws {
            let data = try Data(contentsOf: Self.repositoryDocument)
            let paths = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["paths"] as? [String: [String: Any]])
            let described = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
            try await TestAccess.with { access in
                let routes = try TestServer.make(access: access.control).routes()
                let served = Set(routes.map { "\($0.method.rawValue) \($0.path.replacingOccurrences(of: "**", with: "{model}"))" })
                #expect(served == described)
            }
        }

        @Test func servedAsJSON() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let response = try await client.execute(uri: "/openapi.json", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let document = try response.json()
                #expect(document["openapi"] as? String == "3.1.0")
                #expect((document["paths"] as? [String: Any])?["/v1/chat/completions"] != nil)
            }
        }

        @Test func modelsListTheModelAndItsAliases() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let list = try await client.execute(uri: "/v1/models", method: .get).json()
                #expect(list["object"] as? String == "list")
                let ids = (list["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
                #expect(ids == [TestServer.modelID, "gpt-4"])
                let model = try await client.execute(uri: "/v1/models/gpt-4", method: .get).json()
                #expect(model["object"] as? String == "model")
                #expect(model["id"] as? String == "gpt-4")
                #expect(model["owned_by"] as? String == "tern")
            }
        }
    }
}
