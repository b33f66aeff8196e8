import Foundation
import Hummingbird
import HummingbirdTesting
import TernServer
import Testing

extension ServerTests {
    /// `GET /openapi.json` serves the repository's document.
    @Suite struct OpenAPIDocumentTests {
        static let repositoryDocument = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.json")

        @Test func embeddedCopyMatchesTheRepository() throws {
            let text = try String(contentsOf: Self.repositoryDocument, encoding: .utf8)
            #expect(
                OpenAPIDocument.text == text.trimmingCharacters(in: .newlines),
                "docs/openapi.json changed: run python3 Tests/conformance/embed_openapi.py")
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
