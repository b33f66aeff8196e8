import Foundation
import TernEngine
import Testing

/// The model and reference data the engine tests run against.
enum TestModel {
    /// The default model, loaded once for all tests; the path comes from `TERN_TEST_MODEL`.
    static let shared: Result<LoadedModel, any Error> = Result {
        guard let path = ProcessInfo.processInfo.environment["TERN_TEST_MODEL"], !path.isEmpty else {
            throw TestSetupError(
                "TERN_TEST_MODEL is not set: point it at SmolLM2-135M-Instruct.Q4_1.gguf (scripts/test.sh fetches it and sets it)")
        }
        return try LoadedModel(path: path)
    }

    /// The loaded model, or a test failure saying how to provide it.
    static func load() throws -> LoadedModel {
        try shared.get()
    }

    /// The llama.cpp reference data committed under Tests/Fixtures.
    static let golden: Golden = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/smollm2-135m-instruct-q4_1.json")
        return try! JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }()
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The parts of the reference file the engine tests read.
struct Golden: Decodable {
    struct Step: Decodable {
        let token: Int32
        let top: [[Double]]
        let margin: Double
    }
    struct GreedyCase: Decodable {
        let prompt: String
        let ids: [Int32]
        let steps: [Step]
    }
    struct ChatCase: Decodable {
        let ids: [Int32]
        let greedy: [Step]
    }
    let greedy: [GreedyCase]
    let chat_template: [ChatCase]
}
