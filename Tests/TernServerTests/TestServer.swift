import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TernEngine
import TernServer
import Testing

/// The model every server test runs, loaded once; the path comes from `TERN_TEST_MODEL`.
enum TestModel {
    static let shared: Result<LoadedModel, any Error> = Result {
        guard let path = ProcessInfo.processInfo.environment["TERN_TEST_MODEL"], !path.isEmpty else {
            throw TestSetupError(
                "TERN_TEST_MODEL is not set: point it at SmolLM2-135M-Instruct.Q4_1.gguf (scripts/test.sh fetches it and sets it)")
        }
        return try LoadedModel(path: path)
    }

    static func load() throws -> LoadedModel { try shared.get() }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A server over the test model, with settings small enough for fast tests.
enum TestServer {
    static let modelID = "smollm2-test"

    /// A chat request that runs for its whole `max_tokens` (400): the model's end tokens are banned, so a test that needs
    /// a request in flight is not cut short by an early end.
    static func longStory(stream: Bool, maxTokens: Int = 400) -> String {
        #"{"model":"gpt-4","messages":[{"role":"user","content":"Tell a long story."}],"max_tokens":\#(maxTokens),"#
            + #""logit_bias":{"0":-100,"2":-100},"stream":\#(stream)}"#
    }

    /// A server without access control unless `access` is given (the access tests give one).
    static func make(
        contextLength: Int? = 512, maxBodyBytes: Int = 64 << 10, keepAlive: Duration = .seconds(3), maxSequences: Int = 4,
        maxQueue: Int = 64, access: AccessControl? = nil, logger: Logger = quietLogger,
        configure: (inout TernServerConfiguration) -> Void = { _ in }, load: (@Sendable () throws -> LoadedModel)? = nil
    ) throws -> TernServer {
        let model = try TestModel.load()
        var configuration = TernServerConfiguration(
            host: "127.0.0.1", port: 0, aliases: ["gpt-4": modelID], maxBodyBytes: maxBodyBytes,
            keepAliveInterval: keepAlive, contextLength: contextLength, maxSequences: maxSequences, maxQueue: maxQueue, threads: 1)
        configure(&configuration)
        return try TernServer(configuration: configuration, access: access, logger: logger, modelID: modelID, load: load ?? { model })
    }

    /// Warnings and errors only, to the standard output.
    static var quietLogger: Logger {
        var logger = Logger(label: "tern-test")
        logger.logLevel = .warning
        return logger
    }

    /// Runs `test` against the application once the model is ready.
    static func test<Value>(
        _ server: TernServer, _ setup: TestingSetup = .router, _ test: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        try await server.makeApplication().test(setup) { client in
            try await waitUntilReady(client)
            return try await test(client)
        }
    }

    /// Polls `/health` (bounded) until it answers 200.
    static func waitUntilReady(_ client: some TestClientProtocol) async throws {
        for _ in 0..<2000 {
            if try await client.execute(uri: "/health", method: .get).status == .ok { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the model never became ready")
        throw TestSetupError("the model never became ready")
    }
}

extension TestClientProtocol {
    /// POSTs a JSON body, with `Authorization: Bearer key` when a key is given.
    func post(_ uri: String, json: String, contentType: String = "application/json", key: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: contentType]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    /// POSTs a chat request to the test model.
    func chat(_ fields: String = "", content: String = "Say hello.", key: String? = nil) async throws -> TestResponse {
        let extra = fields.isEmpty ? "" : ", " + fields
        return try await post(
            "/v1/chat/completions", json: #"{"model":"gpt-4","messages":[{"role":"user","content":"\#(content)"}]\#(extra)}"#, key: key)
    }

    /// A GET with a bearer key.
    func get(_ uri: String, key: String?) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    /// The body parsed as a JSON object.
    func json() throws -> [String: Any] {
        let data = Data(buffer: body)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "body is not a JSON object: \(String(buffer: body))")
    }

    /// The `error` object of an OpenAI error envelope, checked for its four keys.
    func openAIError(status expected: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        #expect(status == expected, "status", sourceLocation: sourceLocation)
        #expect(headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        let error = try #require(try json()["error"] as? [String: Any], sourceLocation: sourceLocation)
        #expect(Set(error.keys) == ["message", "type", "param", "code"], sourceLocation: sourceLocation)
        #expect((error["message"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        return error
    }
}

/// All server tests, one at a time: each starts a server and a scheduler, and two cores are shared.
@Suite(.serialized) enum ServerTests {}
