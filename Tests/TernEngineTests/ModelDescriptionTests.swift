import Foundation
import TernEngine
import TernGGUF
import Testing

/// How GGUF keys become the description the forward pass runs, family by family, and what is refused.
struct ModelDescriptionTests {
    @Test func anUnsupportedFamilyIsRefusedNamingTheSupportedOnes() throws {
        var gguf = TinyGGUF.model()
        gguf.set("general.architecture", .string("mamba"))
        let file = try gguf.file()
        #expect(ModelArchitectures.supported == ["bert", "gemma2", "gemma3", "llama", "phi3", "qwen2", "qwen3", "qwen3moe"])
        let error = #expect(throws: EngineError.self) { try ModelArchitectures.load(file) }
        #expect(error?.code == .unsupportedArchitecture)
        #expect(error?.message == "model family 'mamba' is not supported yet; supported: bert, gemma2, gemma3, llama, phi3, qwen2, qwen3, qwen3moe")
    }

    @Test func expertsAreReadFromTheFamilysKeys() throws {
        var gguf = TinyGGUF.model()
        gguf.set("llama.expert_count", .uint32(8))
        gguf.set("llama.expert_used_count", .uint32(2))
        let config = try ModelConfig(file: gguf.file())
        #expect(config.experts == ModelConfig.Experts(count: 8, used: 2, feedForwardLength: config.feedForwardLength))

        gguf.set("llama.expert_used_count", .uint32(9))
        let error = #expect(throws: EngineError.self) { try ModelConfig(file: gguf.file()) }
        #expect(error?.message == "llama.expert_used_count = 9 is more than the 8 experts")

        var moe = TinyGGUF.model(architecture: "qwen3moe")
        let missing = #expect(throws: EngineError.self) { try ModelConfig(file: moe.file()) }
        #expect(missing?.message.contains("qwen3moe.expert_count is missing") == true)
        moe.set("qwen3moe.expert_count", .uint32(4))
        moe.set("qwen3moe.expert_used_count", .uint32(2))
        moe.set("qwen3moe.expert_feed_forward_length", .uint32(48))
        #expect(try ModelConfig(file: moe.file()).experts?.feedForwardLength == 48)
    }

    @Test func llamaKeepsTheDefaults() throws {
        let config = try ModelConfig(file: TinyGGUF.model().file())
        #expect(config.ropeStyle == .normal && config.activation == .swiglu)
        #expect(config.headDimension == 16 && config.queryDimension == 32 && config.kvDimension == 32)
        #expect(config.embeddingScale == nil && !config.scalesQueries && config.attentionScale == 0.25)
        #expect(config.layers == Array(repeating: ModelConfig.Layer(rope: .init(base: 10000)), count: 2))
    }

    @Test func gemma3SlidesOnFiveLayersOfSixWithTheirOwnRoPEBase() throws {
        var gguf = TinyGGUF.model(architecture: "gemma3", blocks: 12)
        gguf.set("gemma3.attention.sliding_window", .uint32(512))
        gguf.set("gemma3.rope.freq_base", .float32(1_000_000))
        gguf.set("gemma3.attention.key_length", .uint32(64))
        gguf.set("gemma3.attention.value_length", .uint32(64))
        let config = try ModelConfig(file: gguf.file())
        for (index, layer) in config.layers.enumerated() {
            let sliding = index % 6 < 5
            #expect(layer.slidingWindow == (sliding ? 512 : nil), "layer \(index)")
            #expect(layer.rope.base == (sliding ? 10000 : 1_000_000), "layer \(index)")
        }
        #expect(config.ropeFrequencies.count == 2)
        #expect(config.ropeStyle == .neox && config.activation == .geglu && config.scalesQueries)
        #expect(config.embeddingScale == Float(32).squareRoot())
        // Heads of 64 from key_length, not 32 / 2: queries are wider than the residual stream.
        #expect(config.headDimension == 64 && config.queryDimension == 128 && config.attentionScale == 0.125)
        #expect(config.finalLogitSoftcap == nil && config.attentionLogitSoftcap == nil)
    }

    @Test func gemma3WithAPatternArrayAndNoWindow() throws {
        var gguf = TinyGGUF.model(architecture: "gemma3", blocks: 3)
        gguf.set("gemma3.attention.sliding_window", .uint32(4))
        gguf.set("gemma3.attention.sliding_window_pattern", .array([.bool(false), .bool(true), .bool(false)]))
        gguf.set("gemma3.rope.freq_base_swa", .float32(5000))
        #expect(try ModelConfig(file: gguf.file()).layers.map(\.slidingWindow) == [nil, 4, nil])
        #expect(try ModelConfig(file: gguf.file()).layers[1].rope.base == 5000)
        gguf.set("gemma3.attention.sliding_window", nil)
        #expect(try ModelConfig(file: gguf.file()).layers.allSatisfy { $0.slidingWindow == nil })
    }

    @Test func gemma2SoftCapsAndSlidesOnEvenLayers() throws {
        let config = try ModelConfig(file: TinyGGUF.model(architecture: "gemma2", blocks: 4).file())
        #expect(config.attentionLogitSoftcap == 50 && config.finalLogitSoftcap == 30)
        #expect(config.layers.map(\.slidingWindow) == [4096, nil, 4096, nil])
    }

    @Test func linearRoPEScalingAppliesToEveryLayer() throws {
        var gguf = TinyGGUF.model(architecture: "qwen2")
        gguf.set("qwen2.rope.scaling.type", .string("linear"))
        gguf.set("qwen2.rope.scaling.factor", .float32(4))
        let config = try ModelConfig(file: gguf.file())
        #expect(config.ropeStyle == .neox)
        #expect(config.layers.allSatisfy { $0.rope == .init(base: 10000, scale: 0.25) })
    }

    @Test func yarnKeepsItsOriginalContextAndAttentionFactor() throws {
        var gguf = TinyGGUF.model(architecture: "qwen2")
        gguf.set("qwen2.rope.scaling.type", .string("yarn"))
        gguf.set("qwen2.rope.scaling.factor", .float32(4))
        gguf.set("qwen2.rope.scaling.original_context_length", .uint32(32768))
        gguf.set("qwen2.rope.scaling.attn_factor", .float32(1.5))
        let config = try ModelConfig(file: gguf.file())
        var yarn = ModelConfig.YaRN(originalContext: 32768, attentionFactor: 1.5)
        #expect(config.layers.allSatisfy { $0.rope == .init(base: 10000, scale: 0.25, yarn: yarn) })
        // Without the key, the original context is the model's.
        gguf.set("qwen2.rope.scaling.original_context_length", nil)
        let unstated = try ModelConfig(file: gguf.file())
        yarn.originalContext = unstated.contextLength
        #expect(unstated.layers[0].rope.yarn == yarn)
    }

    /// `longrope` scales by the factor tensors alone (no position scaling); a kind Tern lacks is refused by name.
    @Test func longRoPEIsTakenAndAnUnknownScalingRefusedClearly() throws {
        var gguf = TinyGGUF.model()
        gguf.set("llama.rope.scaling.type", .string("longrope"))
        gguf.set("llama.rope.scaling.attn_factor", .float32(1.19))
        let config = try ModelConfig(file: gguf.file())
        #expect(config.layers[0].rope == .init(base: 10000, scale: 1))
        #expect(config.ropeAttentionFactor == 1.19)
        #expect(config.ropeOriginalContext == config.contextLength)
        gguf.set("llama.rope.scaling.type", .string("dynamic"))
        let error = #expect(throws: EngineError.self) { try ModelConfig(file: gguf.file()) }
        #expect(error?.code == .invalidMetadata)
        #expect(error?.message.contains("rope.scaling.type is 'dynamic'") == true)
    }

    /// Only the families whose reference graphs read LongRoPE's factors take them; elsewhere they are unused tensors.
    @Test func longRoPEFactorsBelongToLlamaAndPhi3() throws {
        var gguf = TinyGGUF.model(architecture: "qwen2")
        #expect(throws: Never.self) { try ModelArchitectures.load(gguf.file()) }
        gguf.addTensor("rope_factors_long.weight", [8])
        gguf.addTensor("rope_factors_short.weight", [8])
        let error = #expect(throws: EngineError.self) { try ModelArchitectures.load(gguf.file()) }
        #expect(error?.message.contains("rope_factors_long.weight") == true, "\(error?.message ?? "")")
    }

    @Test func keysAndValuesOfDifferentSizesAreRefused() throws {
        var gguf = TinyGGUF.model(architecture: "qwen3")
        gguf.set("qwen3.attention.key_length", .uint32(64))
        gguf.set("qwen3.attention.value_length", .uint32(32))
        let error = #expect(throws: EngineError.self) { try ModelConfig(file: gguf.file()) }
        #expect(error?.message.contains("key_length and value_length differ") == true)
    }

    @Test func aTensorTheDescriptionDoesNotUseIsRefused() throws {
        var gguf = TinyGGUF.model()
        #expect(throws: Never.self) { try ModelArchitectures.load(gguf.file()) }
        gguf.addTensor("blk.0.attn_sinks.weight", [8])
        let error = #expect(throws: EngineError.self) { try ModelArchitectures.load(gguf.file()) }
        #expect(error?.code == .invalidTensor)
        #expect(error?.message.contains("blk.0.attn_sinks.weight") == true)
    }

    /// LongRoPE needs its long and its short factors; one set alone is a broken file, not a model to guess at.
    @Test func halfOfLongRoPEIsRefused() throws {
        var gguf = TinyGGUF.model()
        gguf.addTensor("rope_factors_long.weight", [8])
        let error = #expect(throws: EngineError.self) { try ModelArchitectures.load(gguf.file()) }
        #expect(error?.code == .invalidTensor)
        #expect(error?.message.contains("LongRoPE needs both") == true)
    }

    @Test func aMissingTensorOfTheFamilyIsNamed() throws {
        var gguf = TinyGGUF.model(architecture: "gemma3")
        gguf.removeTensor("blk.1.post_ffw_norm.weight")
        let error = #expect(throws: EngineError.self) { try ModelArchitectures.load(gguf.file()) }
        #expect(error?.message == "tensor blk.1.post_ffw_norm.weight is missing")
    }
}
