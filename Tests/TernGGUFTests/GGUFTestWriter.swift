import TernGGUF
import TernTensors

/// Builds GGUF files in memory for tests: valid ones, and malformed ones through its overrides.
///
/// Tensor data is laid out in order (a file without tensors has no padding), each tensor at the next multiple of ``alignment``; the last
/// tensor's data ends the file. Offsets of every count and length field written are recorded in
/// ``lengthFieldOffsets`` so that fuzz tests can aim at them.
struct GGUFTestWriter {
    /// A metadata entry: a typed value, or a raw type number with raw payload bytes.
    enum Entry {
        case value(GGUFValue)
        case raw(type: UInt32, payload: [UInt8])
    }

    /// One tensor directory entry and its data.
    struct Tensor {
        var name: [UInt8]
        var dimensions: [UInt64]
        var type: UInt32
        var data: [UInt8]
        /// Written instead of the laid-out offset when set.
        var offset: UInt64?

        init(_ name: String, _ dimensions: [Int], _ type: TensorType, data: [UInt8]? = nil, seed: UInt8 = 1) {
            self.name = Array(name.utf8)
            self.dimensions = dimensions.map { UInt64($0) }
            self.type = type.rawValue
            let rows = dimensions.dropFirst().reduce(1, *)
            let count = type.rowBytes(dimensions[0])! * rows
            self.data = data ?? (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed) &* 31) }
        }

        init(rawName: [UInt8], dimensions: [UInt64], type: UInt32, data: [UInt8], offset: UInt64? = nil) {
            self.name = rawName
            self.dimensions = dimensions
            self.type = type
            self.data = data
            self.offset = offset
        }
    }

    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    /// Alignment used to lay out tensor data; add `general.alignment` to ``metadata`` to declare it.
    var alignment = 32
    var metadata: [(key: [UInt8], entry: Entry)] = []
    var tensors: [Tensor] = []
    var tensorCount: UInt64?
    var metadataCount: UInt64?

    /// File offsets of every `uint64` count or length field written by the last ``build()``.
    private(set) var lengthFieldOffsets: [Int] = []
    /// File offset of the data section written by the last ``build()``.
    private(set) var dataOffset = 0

    mutating func add(_ key: String, _ value: GGUFValue) {
        metadata.append((Array(key.utf8), .value(value)))
    }

    /// Encodes the file.
    mutating func build() -> [UInt8] {
        var out: [UInt8] = []
        lengthFieldOffsets = []
        out += magic
        Self.put(version, &out)
        lengthFieldOffsets.append(out.count)
        Self.put(tensorCount ?? UInt64(tensors.count), &out)
        lengthFieldOffsets.append(out.count)
        Self.put(metadataCount ?? UInt64(metadata.count), &out)
        for (key, entry) in metadata {
            putString(key, &out)
            switch entry {
            case .value(let value):
                Self.put(value.typeID, &out)
                putValue(value, &out)
            case .raw(let type, let payload):
                Self.put(type, &out)
                out += payload
            }
        }
        var layout: [UInt64] = []
        var next = 0
        for tensor in tensors {
            next = (next + alignment - 1) / alignment * alignment
            layout.append(UInt64(next))
            next += tensor.data.count
        }
        for (tensor, laidOut) in zip(tensors, layout) {
            putString(tensor.name, &out)
            Self.put(UInt32(tensor.dimensions.count), &out)
            for extent in tensor.dimensions { Self.put(extent, &out) }
            Self.put(tensor.type, &out)
            Self.put(tensor.offset ?? laidOut, &out)
        }
        // Files without tensors end right after the metadata, so tests can cut them precisely.
        while !tensors.isEmpty, out.count % alignment != 0 { out.append(0) }
        dataOffset = out.count
        for (tensor, laidOut) in zip(tensors, layout) {
            while out.count < dataOffset + Int(laidOut) { out.append(0) }
            out += tensor.data
        }
        return out
    }

    static func put<T: FixedWidthInteger>(_ value: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    private mutating func putString(_ bytes: [UInt8], _ out: inout [UInt8]) {
        lengthFieldOffsets.append(out.count)
        Self.put(UInt64(bytes.count), &out)
        out += bytes
    }

    private mutating func putValue(_ value: GGUFValue, _ out: inout [UInt8]) {
        switch value {
        case .uint8(let v): Self.put(v, &out)
        case .int8(let v): Self.put(v, &out)
        case .uint16(let v): Self.put(v, &out)
        case .int16(let v): Self.put(v, &out)
        case .uint32(let v): Self.put(v, &out)
        case .int32(let v): Self.put(v, &out)
        case .float32(let v): Self.put(v.bitPattern, &out)
        case .bool(let v): Self.put(UInt8(v ? 1 : 0), &out)
        case .string(let v): putString(Array(v.utf8), &out)
        case .uint64(let v): Self.put(v, &out)
        case .int64(let v): Self.put(v, &out)
        case .float64(let v): Self.put(v.bitPattern, &out)
        case .array(let elements):
            Self.put(elements.first?.typeID ?? 0, &out)
            lengthFieldOffsets.append(out.count)
            Self.put(UInt64(elements.count), &out)
            for element in elements { putValue(element, &out) }
        }
    }
}

extension GGUFTestWriter {
    /// A small valid file with a value of every type, nested arrays and three tensors.
    static func sample(version: UInt32 = 3, alignment: Int? = nil) -> GGUFTestWriter {
        var writer = GGUFTestWriter()
        writer.version = version
        writer.add("general.architecture", .string("llama"))
        if let alignment {
            writer.alignment = alignment
            writer.add("general.alignment", .uint32(UInt32(alignment)))
        }
        for (key, value) in sampleValues { writer.add(key, value) }
        writer.tensors = [
            Tensor("token_embd.weight", [64, 3], .q8_0, seed: 1),
            Tensor("blk.0.attn_norm.weight", [5], .f32, seed: 2),
            Tensor("blk.0.ffn_down.weight", [32, 2, 1, 2], .q4_1, seed: 3),
        ]
        return writer
    }

    /// One value of every metadata type, including empty and nested arrays.
    static let sampleValues: [(String, GGUFValue)] = [
        ("t.uint8", .uint8(200)),
        ("t.int8", .int8(-100)),
        ("t.uint16", .uint16(60000)),
        ("t.int16", .int16(-30000)),
        ("t.uint32", .uint32(4_000_000_000)),
        ("t.int32", .int32(-2_000_000_000)),
        ("t.float32", .float32(1e-5)),
        ("t.bool.true", .bool(true)),
        ("t.bool.false", .bool(false)),
        ("t.string", .string("héllo, wörld ✓ 🐦")),
        ("t.string.empty", .string("")),
        ("t.uint64", .uint64(UInt64.max)),
        ("t.int64", .int64(Int64.min)),
        ("t.float64", .float64(-2.5e300)),
        ("t.array.strings", .array([.string("a"), .string(""), .string("Ġ t")])),
        ("t.array.int32", .array([.int32(1), .int32(-2), .int32(3)])),
        ("t.array.empty", .array([])),
        ("t.array.nested", .array([.array([.uint16(1), .uint16(2)]), .array([]), .array([.uint16(3)])])),
        ("t.array.deep", .array([.array([.array([.string("x"), .string("y")])])])),
        ("t.array.float64", .array([.float64(0.5), .float64(-0.25)])),
        ("t.array.bool", .array([.bool(true), .bool(false)])),
    ]
}
