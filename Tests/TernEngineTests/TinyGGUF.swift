import Foundation
import TernGGUF

/// Writes small GGUF files for the engine's tests: metadata and f32 tensors of deterministic values.
///
/// ```swift
/// var gguf = TinyGGUF.model(architecture: "gemma3", blocks: 12)
/// gguf.set("gemma3.attention.sliding_window", .uint32(512))
/// let config = try ModelConfig(file: gguf.file())
/// ```
struct TinyGGUF {
    /// Metadata in file order; ``set(_:_:)`` replaces a key in place.
    private(set) var metadata: [(key: String, value: GGUFValue)] = []
    /// Tensors in file order.
    private(set) var tensors: [(name: String, dimensions: [Int], values: [Float])] = []

    /// Sets `key` to `value`, replacing an earlier value; nil removes the key.
    mutating func set(_ key: String, _ value: GGUFValue?) {
        let index = metadata.firstIndex { $0.key == key }
        switch (index, value) {
        case (let index?, let value?): metadata[index].value = value
        case (let index?, nil): metadata.remove(at: index)
        case (nil, let value?): metadata.append((key, value))
        case (nil, nil): break
        }
    }

    /// Adds an f32 tensor of `dimensions` (row length first) with values around `center`, spread ±`spread`.
    mutating func addTensor(_ name: String, _ dimensions: [Int], center: Float = 0, spread: Float = 0.3) {
        let count = dimensions.reduce(1, *)
        let seed = Float(name.unicodeScalars.reduce(0) { $0 &* 31 &+ Int($1.value) } % 1000)
        let values = (0..<count).map { center + spread * sin(seed * 12.9898 + Float($0) * 78.233) }
        tensors.append((name, dimensions, values))
    }

    /// Removes the tensor `name`.
    mutating func removeTensor(_ name: String) {
        tensors.removeAll { $0.name == name }
    }

    /// The encoded file.
    func bytes() -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        put(UInt32(3), &out)
        put(UInt64(tensors.count), &out)
        put(UInt64(metadata.count), &out)
        for (key, value) in metadata {
            put(key, &out)
            put(value.typeID, &out)
            put(value, &out)
        }
        var offset = 0
        for tensor in tensors {
            put(tensor.name, &out)
            put(UInt32(tensor.dimensions.count), &out)
            for extent in tensor.dimensions { put(UInt64(extent), &out) }
            put(UInt32(0), &out)  // F32
            put(UInt64(offset), &out)
            offset += (tensor.values.count * 4 + 31) / 32 * 32
        }
        while out.count % 32 != 0 { out.append(0) }
        for tensor in tensors {
            for value in tensor.values { put(value.bitPattern, &out) }
            while out.count % 32 != 0 { out.append(0) }
        }
        return out
    }

    /// The file, parsed.
    func file() throws -> GGUFFile { try GGUFFile(bytes: bytes()) }

    /// Writes the file to a new temporary path and returns it.
    func write() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tern-\(UUID().uuidString).gguf").path
        try Data(bytes()).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func put<T: FixedWidthInteger>(_ value: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    private func put(_ string: String, _ out: inout [UInt8]) {
        put(UInt64(string.utf8.count), &out)
        out += Array(string.utf8)
    }

    private func put(_ value: GGUFValue, _ out: inout [UInt8]) {
        switch value {
        case .uint8(let v): put(v, &out)
        case .int8(let v): put(v, &out)
        case .uint16(let v): put(v, &out)
        case .int16(let v): put(v, &out)
        case .uint32(let v): put(v, &out)
        case .int32(let v): put(v, &out)
        case .uint64(let v): put(v, &out)
        case .int64(let v): put(v, &out)
        case .float32(let v): put(v.bitPattern, &out)
        case .float64(let v): put(v.bitPattern, &out)
        case .bool(let v): put(UInt8(v ? 1 : 0), &out)
        case .string(let v): put(v, &out)
        case .array(let elements):
            put(elements.first?.typeID ?? GGUFValue.uint32(0).typeID, &out)
            put(UInt64(elements.count), &out)
            for element in elements { put(element, &out) }
        }
    }
}

extension TinyGGUF {
    /// A complete model of `architecture` in the llama layout (which llama, Qwen 2 and Gemma 3 read; Gemma 3 gets its
    /// extra norms), with a byte-level vocabulary of 256 tokens, `blocks` blocks of width 32 and f32 weights.
    static func model(architecture: String = "llama", blocks: Int = 2, embedding: Int = 32, heads: Int = 2) -> TinyGGUF {
        var gguf = TinyGGUF()
        let vocabulary = 256
        let ff = 2 * embedding
        gguf.set("general.architecture", .string(architecture))
        for (key, value) in [
            ("context_length", 128), ("embedding_length", embedding), ("block_count", blocks), ("feed_forward_length", ff),
            ("attention.head_count", heads), ("attention.head_count_kv", heads),
        ] {
            gguf.set("\(architecture).\(key)", .uint32(UInt32(value)))
        }
        gguf.set("\(architecture).attention.layer_norm_rms_epsilon", .float32(1e-6))
        gguf.set("tokenizer.ggml.model", .string("gpt2"))
        gguf.set("tokenizer.ggml.pre", .string("default"))
        let printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var forms: [Int: String] = [:]
        for byte in printable { forms[byte] = String(UnicodeScalar(UInt8(byte))) }
        for (index, byte) in (0..<256).filter({ forms[$0] == nil }).enumerated() { forms[byte] = String(UnicodeScalar(256 + index)!) }
        gguf.set("tokenizer.ggml.tokens", .array((0..<vocabulary).map { .string(forms[$0]!) }))
        gguf.set("tokenizer.ggml.token_type", .array((0..<vocabulary).map { _ in .int32(1) }))
        gguf.set("tokenizer.ggml.merges", .array([]))

        let head = embedding / heads
        gguf.addTensor("token_embd.weight", [embedding, vocabulary])
        gguf.addTensor("output_norm.weight", [embedding], center: 1, spread: 0.1)
        for block in 0..<blocks {
            let p = "blk.\(block)."
            gguf.addTensor(p + "attn_norm.weight", [embedding], center: 1, spread: 0.1)
            gguf.addTensor(p + "attn_q.weight", [embedding, embedding])
            gguf.addTensor(p + "attn_k.weight", [embedding, embedding])
            gguf.addTensor(p + "attn_v.weight", [embedding, embedding])
            gguf.addTensor(p + "attn_output.weight", [embedding, embedding])
            gguf.addTensor(p + "ffn_norm.weight", [embedding], center: 1, spread: 0.1)
            gguf.addTensor(p + "ffn_gate.weight", [embedding, ff])
            gguf.addTensor(p + "ffn_up.weight", [embedding, ff])
            gguf.addTensor(p + "ffn_down.weight", [ff, embedding])
            if architecture == "gemma3" {
                gguf.addTensor(p + "attn_q_norm.weight", [head], center: 1, spread: 0.1)
                gguf.addTensor(p + "attn_k_norm.weight", [head], center: 1, spread: 0.1)
                gguf.addTensor(p + "post_attention_norm.weight", [embedding], center: 1, spread: 0.1)
                gguf.addTensor(p + "post_ffw_norm.weight", [embedding], center: 1, spread: 0.1)
            }
        }
        return gguf
    }
}
