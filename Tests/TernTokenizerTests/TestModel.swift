import Foundation
import TernGGUF
import Testing

@testable import TernTokenizer

/// The default model's tokenizer (from `TERN_TEST_MODEL`) and the llama.cpp reference data.
enum TestModel {
    private static let loaded: Result<Tokenizer, any Error> = Result {
        guard let path = ProcessInfo.processInfo.environment["TERN_TEST_MODEL"] else {
            throw TestModelError(message: "set TERN_TEST_MODEL to the path of SmolLM2-135M-Instruct.Q4_1.gguf")
        }
        return try Tokenizer(gguf: GGUFFile(path: path))
    }

    /// The tokenizer of the model; fails the calling test with a message when `TERN_TEST_MODEL` is unset.
    static func tokenizer() throws -> Tokenizer { try loaded.get() }

    /// The reference data produced by llama.cpp for the default model.
    static let golden: Golden = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/smollm2-135m-instruct-q4_1.json")
        let data = try! Data(contentsOf: url)
        return try! JSONDecoder().decode(Golden.self, from: data)
    }()
}

struct TestModelError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The parts of the reference file the tokenizer tests use.
struct Golden: Decodable {
    struct Tokenize: Decodable {
        var text: String
        var idsNoSpecial: [Int32]
        var idsParseSpecial: [Int32]
        enum CodingKeys: String, CodingKey {
            case text
            case idsNoSpecial = "ids_no_special"
            case idsParseSpecial = "ids_parse_special"
        }
    }
    struct ChatTemplate: Decodable {
        var rendered: String
        var ids: [Int32]
    }
    struct Greedy: Decodable {
        var prompt: String
        var ids: [Int32]
    }
    var bosTokenID: Int32
    var eosTokenID: Int32
    var nVocab: Int
    var tokenize: [Tokenize]
    var chatTemplate: [ChatTemplate]
    var greedy: [Greedy]

    enum CodingKeys: String, CodingKey {
        case bosTokenID = "bos_token_id"
        case eosTokenID = "eos_token_id"
        case nVocab = "n_vocab"
        case tokenize
        case chatTemplate = "chat_template"
        case greedy
    }
}
