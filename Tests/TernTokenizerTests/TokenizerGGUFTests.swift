import TernGGUF
import Testing

@testable import TernTokenizer

/// Loading a tokenizer from GGUF metadata, through small in-memory files.
@Suite struct TokenizerGGUFTests {
    /// A GGUF v3 file with no tensors and the given metadata.
    private func gguf(_ metadata: [(String, GGUFValue)]) throws -> GGUFFile {
        var bytes = Array("GGUF".utf8)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        func appendString(_ text: String) {
            append(UInt64(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
        }
        func appendValue(_ value: GGUFValue) {
            switch value {
            case .int32(let v): append(v)
            case .uint32(let v): append(v)
            case .bool(let v): bytes.append(v ? 1 : 0)
            case .string(let v): appendString(v)
            case .array(let elements):
                append(elements.first?.typeID ?? 8)
                append(UInt64(elements.count))
                elements.forEach(appendValue)
            default: Issue.record("value type \(value.typeID) not written by this helper")
            }
        }
        append(UInt32(3))
        append(UInt64(0))
        append(UInt64(metadata.count))
        for (key, value) in metadata {
            appendString(key)
            append(value.typeID)
            appendValue(value)
        }
        return try GGUFFile(bytes: bytes)
    }

    private var tinyMetadata: [(String, GGUFValue)] {
        let tokens = TinyVocabulary(extra: ["ab", "<|im_end|>"], merges: []).tokens
        return [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("smollm")),
            ("tokenizer.ggml.tokens", .array(tokens.map { .string($0) })),
            ("tokenizer.ggml.token_type", .array(Array(repeating: .int32(1), count: 257) + [.int32(3)])),
            ("tokenizer.ggml.merges", .array([.string("a b")])),
            ("tokenizer.ggml.bos_token_id", .uint32(257)),
            ("tokenizer.ggml.eos_token_id", .uint32(257)),
            ("tokenizer.ggml.add_bos_token", .bool(false)),
        ]
    }

    @Test func loadsFromMetadata() throws {
        let tokenizer = try Tokenizer(gguf: gguf(tinyMetadata))
        #expect(tokenizer.vocabularySize == 258)
        #expect(tokenizer.encode("abc<|im_end|>", parseSpecial: true) == [256, 0x63, 257])
        #expect(tokenizer.eosTokenID == 257)
        #expect(tokenizer.isEndOfGeneration(257))
        #expect(!tokenizer.addBOS)
    }

    @Test func missingModelKeyIsNamed() throws {
        let file = try gguf(tinyMetadata.filter { $0.0 != "tokenizer.ggml.model" })
        #expect(throws: TokenizerError(.missingKey, "metadata key 'tokenizer.ggml.model' is missing or has the wrong type")) {
            try Tokenizer(gguf: file)
        }
    }

    @Test func badTokenTypeIsAnError() throws {
        var metadata = tinyMetadata
        metadata[3].1 = .array(Array(repeating: .int32(1), count: 257) + [.int32(9)])
        let file = try gguf(metadata)
        #expect(throws: TokenizerError.self) { try Tokenizer(gguf: file) }
    }

    @Test func outOfRangeSpecialIDsAreIgnored() throws {
        var metadata = tinyMetadata
        metadata[5].1 = .uint32(5000)
        let tokenizer = try Tokenizer(gguf: gguf(metadata))
        #expect(tokenizer.bosTokenID == nil)
    }
}
