/// Scratch memory for ``MatMul``: room for the activations of up to `maxTokens` rows of `maxColumns`.
///
/// Allocated once per batch shape so that the forward pass does not allocate.
public final class MatMulWorkspace: @unchecked Sendable {
    public let maxTokens: Int
    public let maxColumns: Int
    let threads: Int
    /// [threads][maxColumns] dequantized weight rows (placeholder path).
    let rowScratch: UnsafeMutablePointer<Float>

    /// Creates scratch space for inputs of at most `maxTokens` × `maxColumns`, shared by `threads` threads.
    public init(maxTokens: Int, maxColumns: Int, threads: Int) {
        self.maxTokens = maxTokens
        self.maxColumns = maxColumns
        self.threads = threads
        rowScratch = .allocate(capacity: threads * maxColumns)
    }

    deinit { rowScratch.deallocate() }
}

/// Matrix products of quantized weights with f32 activations.
public enum MatMul {
    /// `output[t][r] = Σ_c weight[r][c] · input[t][c]` for `t` in `0..<tokens`.
    ///
    /// - Parameters:
    ///   - input: `[tokens][weight.columns]` row-major.
    ///   - output: `[tokens][weight.rows]` row-major.
    public static func compute(
        _ weight: WeightMatrix, input: UnsafePointer<Float>, tokens: Int, output: UnsafeMutablePointer<Float>,
        workspace: MatMulWorkspace, pool: ComputePool
    ) {
        precondition(tokens <= workspace.maxTokens && weight.columns <= workspace.maxColumns)
        let columns = weight.columns
        pool.run { thread in
            let scratch = workspace.rowScratch + thread * workspace.maxColumns
            for r in pool.range(weight.rows, thread: thread) {
                Dequantize.row(weight.type, source: weight.row(r), into: scratch, count: columns)
                for t in 0..<tokens {
                    let x = input + t * columns
                    var sum: Float = 0
                    for c in 0..<columns { sum += scratch[c] * x[c] }
                    output[t * weight.rows + r] = sum
                }
            }
        }
    }
}
