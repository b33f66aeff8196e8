import CTernKernels

/// A read-only matrix of weights stored in one of the ``TensorType`` formats.
///
/// Row `r` holds the `columns` weights that produce output feature `r`. In GGUF terms `columns` is `ne[0]` and `rows`
/// is `ne[1]`. F32, F16, BF16 and the K-quant matrices are views of their rows where they lie (usually the mapped GGUF
/// file); Q4_0, Q4_1 and Q8_0 matrices are repacked once into memory the matrix owns, rows interleaved in groups of 16
/// so that one vector load feeds the same four bytes of 16 rows into the integer dot-product instructions
/// (`tern_pack`). Q5_0 matrices are repacked as the Q8_0 matrices of the same values, whose products are the same sums.
public struct WeightMatrix: @unchecked Sendable {
    /// The format the kernels compute with: the GGUF tensor's, or the one its packed copy took (``init(type:rows:columns:data:arena:)``).
    public let type: TensorType
    /// Number of rows (output features).
    public let rows: Int
    /// Number of elements in a row (input features).
    public let columns: Int
    /// The weights as the kernels read them: the rows `rowBytes` apart, or the packed copy when ``isPacked``.
    public let data: UnsafeRawPointer
    /// Bytes per row of ``type`` (for a packed matrix, as an unpacked block row of that type would take).
    public let rowBytes: Int
    /// Owner of the packed copy, if any.
    private let packed: PackedStorage?

    /// Wraps the `rows` × `columns` matrix of `type` at `data`, packing it when `type` is one of the packed types.
    ///
    /// Unpacked matrices keep pointing at `data`, which must outlive them; packed ones no longer read it. The packed
    /// copy goes into `arena` when there is one with room (a model's matrices together, in huge pages), else into
    /// memory of its own.
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
        if bytes > 0 {
            let storage = PackedStorage(byteCount: bytes, arena: arena)
            tern_pack(code, data, rowBytes, Int64(rows), Int64(columns), storage.base)
            packed = storage
            self.type = TensorType(rawValue: UInt32(tern_packed_type(code)))!
            self.data = UnsafeRawPointer(storage.base)
            self.rowBytes = self.type.rowBytes(columns)!
        } else {
            packed = nil
            self.type = type
            self.data = data
            self.rowBytes = rowBytes
        }
    }

    /// Whether ``data`` holds the packed layout of `tern_pack` rather than plain rows.
    public var isPacked: Bool { packed != nil }

    /// Converts row `row` to `columns` floats (an embedding lookup), without allocating.
    public func dequantizeRow(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(row >= 0 && row < rows, "row \(row) is outside 0..<\(rows)")
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
