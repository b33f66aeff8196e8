import CTernKernels

/// Scratch memory for ``MatMul``: the converted activations of up to `maxTokens` rows of `maxColumns`.
///
/// Allocated once per batch shape so that the forward pass does not allocate.
public final class MatMulWorkspace: @unchecked Sendable {
    /// Most tokens (input rows) one call may pass.
    public let maxTokens: Int
    /// Most columns (input features) a weight matrix may have.
    public let maxColumns: Int
    /// [maxTokens][rowCapacity] bytes: activations in the companion format of the weight type (64-byte aligned).
    let activations: UnsafeMutableRawPointer
    /// Bytes available per token row: the largest format (f32) of `maxColumns`.
    let rowCapacity: Int

    /// Creates scratch space for inputs of at most `maxTokens` × `maxColumns`.
    ///
    /// `threads` is accepted for symmetry with ``ComputePool``; the activations are shared by all threads.
    public init(maxTokens: Int, maxColumns: Int, threads: Int) {
        precondition(maxTokens > 0 && maxColumns > 0)
        self.maxTokens = maxTokens
        self.maxColumns = maxColumns
        rowCapacity = TensorType.allCases.filter(\.hasKernels).map { tern_act_row_bytes(Int32($0.rawValue), Int64(maxColumns)) }.max()!
        activations = .allocate(byteCount: maxTokens * rowCapacity, alignment: 64)
    }

    deinit { activations.deallocate() }
}
