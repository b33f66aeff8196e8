import Foundation
import TernGGUF
import TernTensors
import Testing

/// Loads the default model named by `TERN_TEST_MODEL`; expected values were read with the Python `gguf` package.
@Suite struct RealModelTests {
    private func openModel() throws -> GGUFFile {
        let path = try #require(
            ProcessInfo.processInfo.environment["TERN_TEST_MODEL"],
            "set TERN_TEST_MODEL to the path of SmolLM2-135M-Instruct.Q4_1.gguf")
        return try GGUFFile(path: path)
    }

    @Test func headerAndMetadata() throws {
        let file = try openModel()
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(file.dataOffset == 1_785_664)
        #expect(file.metadata["general.architecture"]?.string == "llama")
        #expect(file.metadata["llama.block_count"]?.int == 30)
        #expect(file.metadata["llama.rope.freq_base"]?.double == 100_000)
        #expect(file.metadata["tokenizer.ggml.add_bos_token"]?.bool != nil)
        #expect(file.metadataKeys.count == 33)
        #expect(file.metadataKeys.first == "general.architecture")
        #expect(file.metadataKeys.last == "general.quantization_version")
    }

    @Test func vocabulary() throws {
        let file = try openModel()
        let tokens = try #require(file.metadata["tokenizer.ggml.tokens"]?.stringArray)
        #expect(tokens.count == 49152)
        #expect(Array(tokens.prefix(3)) == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
        #expect(tokens.last == "ectable")
        let merges = try #require(file.metadata["tokenizer.ggml.merges"]?.stringArray)
        #expect(merges.count == 48900)
        #expect(merges.first == "Ġ t")
        #expect(file.metadata["tokenizer.ggml.token_type"]?.array?.count == 49152)
    }

    @Test func tensorDirectory() throws {
        let file = try openModel()
        #expect(file.tensors.count == 272)
        let embedding = try #require(file.tensor(named: "token_embd.weight"))
        #expect(embedding.type == .q8_0)
        #expect(embedding.dimensions == [576, 49152])
        #expect(embedding.offset == 0)
        #expect(embedding.byteCount == 30_081_024)
        let down = try #require(file.tensor(named: "blk.0.ffn_down.weight"))
        #expect(down.type == .q4_1)
        #expect(down.dimensions == [1536, 576])
        #expect(down.offset + file.dataOffset == 31_868_992)
        #expect(down.byteCount == 552_960)
    }

    @Test func tensorData() throws {
        let file = try openModel()
        let norm = try #require(file.tensor(named: "blk.0.attn_norm.weight"))
        #expect(norm.type == .f32)
        #expect(norm.dimensions == [576])
        #expect(norm.offset + file.dataOffset == 31_866_688)
        let bytes = file.data(for: norm)
        #expect(bytes.count == 576 * 4)
        let values = (0..<576).map { bytes.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        #expect(Array(values.prefix(4)) == [0.01397705078125, 0.0238037109375, -0.019775390625, -0.0302734375])
        #expect(values.last == -0.038330078125)
        let sum = values.reduce(0.0) { $0 + Double($1) }
        #expect(abs(sum - 0.6129436492919922) < 1e-5)
    }
}
