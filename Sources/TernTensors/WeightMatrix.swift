import CTernKernels

/// A read-only matrix of weights stored in one of the ``TensorType`` formats.
///
/// Row `r` holds the `columns` weights that produce output feature `r`. In GGUF terms `columns` is `ne[0]` and `rows`
/// is `ne[1]`. F32, F16, BF16 and the K-quant matrices are views of their rows where they lie (usually the mapped GGUF
/// file); Q4_0, Q4_1, Q5_0 and Q8_0 matrices are repacked once into memory the matrix owns, rows interleaved in groups
/// of 16 so that one vector load feeds the same four bytes of 16 rows into the integer dot-product instructions
/// (`tern_pack`). Where the CPU multiplies bf16 pairs (``CPULevel/multipliesBF16Pairs``), BF16 matrices are interleaved
/// the same way, a column pair of 16 rows side by side (`tern_interleave_bf16`).
public struct WeightMatrix: @unchecked Sendable {
    /// The GGUF tensor's format, which the kernels compute with (packed or not).
    public let type: TensorType
    /// Number of rows (output features).
    public let rows: Int
    /// Number of elements in a row (input features).
    public let columns: Int
    /// The weights as the kernels read them: the rows `rowBytes` apart, or the packed or interleaved copy.
    public let data: UnsafeRawPointer
    /// Bytes per row of ``type`` (for a packed matrix, as its GGUF row takes).
    public let rowBytes: Int
    /// Whether ``data`` holds the packed layout of `tern_pack` rather than plain rows.
    public let isPacked: Bool
    /// Whether ``data`` holds BF16 weights in the interleaved layout of `tern_interleave_bf16`.
    public let isInterleaved: Bool
    /// Owner of the packed, interleaved or converted copy, if any.
    private let storage: PackedStorage?

    /// Wraps the `rows` × `columns` matrix of `type` at `data`, packing it when `type` is one of the packed types (and
    /// interleaving a BF16 matrix where the CPU multiplies bf16 pairs).
    ///
    /// Matrices left as they are keep pointing at `data`, which must outlive them; packed ones no longer read it. The
    /// packed copy goes into `arena` when there is one with room (a model's matrices together, in huge pages), else
    /// into memory of its own.
    ///
    /// - Precondition: `columns` is a whole number of blocks of `type`.
    public init(type: TensorType, rows: Int, columns: Int, data: UnsafeRawPointer, arena: WeightArena? = nil) {
        guard let rowBytes = type.rowBytes(columns) else {
            preconditionFailure("\(columns) columns is not a whole number of \(type) blocks")
        }
        self.rows = rows
        self.columns = columns
        let code = Int32(type.rawValue)
        let bytes = tern_packed_bytes(code, Int64(rows), Int64(columns))
        isInterleaved = Self.interleaves(type) && rows > 0 && columns > 0
        if bytes > 0 {
            let storage = PackedStorage(byteCount: bytes, arena: arena)
            tern_pack(code, data, rowBytes, Int64(rows), Int64(columns), storage.base)
            self.storage = storage
            isPacked = true
            self.type = type
            self.data = UnsafeRawPointer(storage.base)
            self.rowBytes = rowBytes
        } else if isInterleaved {
            let storage = PackedStorage(byteCount: tern_interleaved_bf16_bytes(Int64(rows), Int64(columns)), arena: arena)
            tern_interleave_bf16(data, rowBytes, Int64(rows), Int64(columns), storage.base)
            self.storage = storage
            isPacked = false
            self.type = type
            self.data = UnsafeRawPointer(storage.base)
            self.rowBytes = rowBytes
        } else {
            storage = nil
            isPacked = false
            self.type = type
            self.data = data
            self.rowBytes = rowBytes
        }
    }

    /// Whether matrices of `type` are interleaved for bf16 pair products on this CPU.
    static func interleaves(_ type: TensorType) -> Bool { type == .bf16 && CPULevel.multipliesBF16Pairs }

    /// The weight format code the kernels' products get: ``type``'s, or the interleaved BF16 layout's.
    var kernelType: Int32 { isInterleaved ? Int32(TERN_W_BF16_R16.rawValue) : Int32(type.rawValue) }

    /// Whether the matrix holds a copy of its own, so that the weights it was made from need not stay in memory.
    public var ownsCopy: Bool { storage != nil }

    /// A BF16 copy of this F32 matrix, each weight rounded to the nearest bf16 (ties to even): half the bytes, and on
    /// CPUs that multiply bf16 pairs (``CPULevel/multipliesBF16Pairs``) twice the products per instruction. Any other
    /// matrix is returned as it is.
    public func bf16Copy(arena: WeightArena? = nil) -> WeightMatrix {
        guard type == .f32, let rowBytes = TensorType.bf16.rowBytes(columns), rows > 0 else { return self }
        let converted = PackedStorage(byteCount: rows * rowBytes, arena: nil)
        let convert = Kernels.active.quantizeActivations
        for row in 0..<rows {
            convert(
                Int32(TensorType.bf16.rawValue), data.assumingMemoryBound(to: Float.self) + row * columns, converted.base + row * rowBytes,
                Int64(columns))
        }
        // Interleaved, the copy has storage of its own; as plain rows it keeps the converted ones.
        guard Self.interleaves(.bf16) else { return WeightMatrix(bf16Rows: converted, rows: rows, columns: columns, rowBytes: rowBytes) }
        return WeightMatrix(type: .bf16, rows: rows, columns: columns, data: UnsafeRawPointer(converted.base), arena: arena)
    }

    private init(bf16Rows storage: PackedStorage, rows: Int, columns: Int, rowBytes: Int) {
        type = .bf16
        self.rows = rows
        self.columns = columns
        data = UnsafeRawPointer(storage.base)
        self.rowBytes = rowBytes
        self.storage = storage
        isPacked = false
        isInterleaved = false
    }

    /// Converts row `row` to `columns` floats (an embedding lookup), without allocating.
    public func dequantizeRow(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(row >= 0 && row < rows, "row \(row) is outside 0..<\(rows)")
        if isInterleaved {
            for column in 0..<columns {
                let bits = tern_interleaved_bf16_at(data, Int64(columns), Int64(row), Int64(column))
                destination[column] = Float(bitPattern: UInt32(bits) << 16)
            }
            return
        }
        guard isPacked else {
            Dequantize.row(type, source: data + row * rowBytes, into: destination, count: columns)
            return
        }
        let code = Int32(type.rawValue)
        withUnsafeTemporaryAllocation(byteCount: type.blockBytes, alignment: 8) { block in
            for b in 0..<(columns / type.blockElements) {
                tern_unpack_block(code, data, Int64(columns), Int64(row), Int64(b), block.baseAddress!)
                Dequantize.row(
                    type, source: UnsafeRawPointer(block.baseAddress!), into: destination + b * type.blockElements, count: type.blockElements)
            }
        }
    }
}

/// 64-byte aligned memory holding one packed matrix, freed (or its arena released) with the last ``WeightMatrix``
/// that shares it.
private final class PackedStorage: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    /// The arena `base` lies in, kept alive by this matrix; nil when `base` is the matrix's own allocation.
    private let arena: WeightArena?

    init(byteCount: Int, arena: WeightArena?) {
        if let arena, let piece = arena.allocate(byteCount) {
            base = piece
            self.arena = arena
        } else {
            base = .allocate(byteCount: byteCount, alignment: 64)
            self.arena = nil
        }
    }

    deinit { if arena == nil { base.deallocate() } }
}
