/// A read-only matrix of weights stored in one of the ``TensorType`` formats, usually a view into a mapped GGUF file.
///
/// Row `r` holds the `columns` weights that produce output feature `r`; rows are `rowBytes` apart.
/// In GGUF terms `columns` is `ne[0]` and `rows` is `ne[1]`.
public struct WeightMatrix: @unchecked Sendable {
    /// Storage format of every row.
    public let type: TensorType
    /// Number of rows (output features).
    public let rows: Int
    /// Number of elements in a row (input features).
    public let columns: Int
    /// First byte of row 0; the memory must outlive the matrix (the mapped file does).
    public let data: UnsafeRawPointer
    /// Bytes per row.
    public let rowBytes: Int

    /// Wraps `data` as a `rows` × `columns` matrix of `type`.
    ///
    /// - Precondition: `columns` is a whole number of blocks of `type`.
    public init(type: TensorType, rows: Int, columns: Int, data: UnsafeRawPointer) {
        guard let rowBytes = type.rowBytes(columns) else {
            preconditionFailure("\(columns) columns is not a whole number of \(type) blocks")
        }
        self.type = type
        self.rows = rows
        self.columns = columns
        self.data = data
        self.rowBytes = rowBytes
    }

    /// Address of row `row`.
    @inline(__always)
    public func row(_ row: Int) -> UnsafeRawPointer {
        data + row * rowBytes
    }
}
