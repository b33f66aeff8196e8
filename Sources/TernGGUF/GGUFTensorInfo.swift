public import TernTensors

/// One entry of a GGUF file's tensor directory.
///
/// Every field has been checked against the file: the bytes at ``offset`` (relative to the data
/// section) of length ``byteCount`` lie inside the file and overlap no other tensor.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name, such as `blk.0.attn_q.weight`.
    public let name: String
    /// The extent of each dimension, fastest-varying (`ne0`, one row) first, as in the file.
    public let dimensions: [Int]
    /// The element format.
    public let type: TensorType
    /// Byte offset of the tensor's data, relative to the start of the data section.
    public let offset: Int
    /// Bytes the tensor's data takes.
    public let byteCount: Int

    /// The number of elements (product of the dimensions).
    public var elementCount: Int { dimensions.reduce(1, *) }

    /// Elements per row (`dimensions[0]`).
    public var rowElements: Int { dimensions[0] }

    /// Number of rows (product of every dimension after the first).
    public var rowCount: Int { dimensions.dropFirst().reduce(1, *) }

    /// Creates a tensor description; the parser validates values before calling it.
    init(name: String, dimensions: [Int], type: TensorType, offset: Int, byteCount: Int) {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.offset = offset
        self.byteCount = byteCount
    }
}
