import CTernKernels

/// Matrix products of stored weights with f32 activations.
///
/// Numerics follow llama.cpp so that logits can be compared with it: for Q4_0 and Q8_0 weights the activations are
/// quantized to Q8_0 blocks (32 int8 and an f16 scale), for Q4_1 to Q8_1 blocks (the same plus the f16 sum `s`),
/// and each block's dot product is an exact integer sum scaled by `d_w·d_a` (plus `m_w·s_a` for Q4_1). F16 and BF16
/// weights meet activations rounded to F16 and BF16 and are summed in f32; F32 weights use f32 throughout.
public enum MatMul {
    /// One weight matrix applied to a shared input: `output[t][r] = Σ_c weight[r][c] · input[t][c]`, `[tokens][weight.rows]`.
    public struct Product {
        public var weight: WeightMatrix
        public var output: UnsafeMutablePointer<Float>

        public init(_ weight: WeightMatrix, output: UnsafeMutablePointer<Float>) {
            self.weight = weight
            self.output = output
        }
    }

    /// `output[t][r] = Σ_c weight[r][c] · input[t][c]` for `t` in `0..<tokens`.
    ///
    /// The inputs are converted once into `workspace`, then the rows of `weight` are split across `pool` in runs of
    /// whole packed groups; each group's weights are reused from cache for every token.
    ///
    /// - Parameters:
    ///   - input: `[tokens][weight.columns]` row-major.
    ///   - output: `[tokens][weight.rows]` row-major.
    public static func compute(
        _ weight: WeightMatrix, input: UnsafePointer<Float>, tokens: Int, output: UnsafeMutablePointer<Float>,
        workspace: MatMulWorkspace, pool: ComputePool
    ) {
        run(Product(weight, output: output), nil, nil, input: input, tokens: tokens, workspace: workspace, pool: pool, kernels: .active)
    }

    /// ``compute(_:input:tokens:output:workspace:pool:)`` at a given ``CPULevel`` (one of ``CPULevel/available``),
    /// for tests and benchmarks.
    public static func compute(
        _ weight: WeightMatrix, input: UnsafePointer<Float>, tokens: Int, output: UnsafeMutablePointer<Float>,
        workspace: MatMulWorkspace, pool: ComputePool, level: CPULevel
    ) {
        run(Product(weight, output: output), nil, nil, input: input, tokens: tokens, workspace: workspace, pool: pool, kernels: level.kernels)
    }

    /// Two or three products of one input (a layer's query, key and value projections, say) in one call: the input is
    /// converted once and the threads share the rows of all the matrices, so that they wait for each other once.
    ///
    /// Matrices must agree in ``WeightMatrix/columns``; if their types differ they are computed one after another.
    public static func compute(
        _ first: Product, _ second: Product, _ third: Product? = nil, input: UnsafePointer<Float>, tokens: Int, workspace: MatMulWorkspace,
        pool: ComputePool
    ) {
        precondition(first.weight.columns == second.weight.columns && (third?.weight.columns ?? first.weight.columns) == first.weight.columns)
        let kernels = Kernels.active
        if second.weight.type != first.weight.type || (third.map { $0.weight.type != first.weight.type } ?? false) {
            run(first, nil, nil, input: input, tokens: tokens, workspace: workspace, pool: pool, kernels: kernels)
            run(second, nil, nil, input: input, tokens: tokens, workspace: workspace, pool: pool, kernels: kernels)
            if let third { run(third, nil, nil, input: input, tokens: tokens, workspace: workspace, pool: pool, kernels: kernels) }
            return
        }
        run(first, second, third, input: input, tokens: tokens, workspace: workspace, pool: pool, kernels: kernels)
    }

    /// Rows per chunk of work are a multiple of this: the packed group of the quantized kernels.
    static let rowAlignment = 16

    private static func run(
        _ first: Product, _ second: Product?, _ third: Product?, input: UnsafePointer<Float>, tokens: Int, workspace: MatMulWorkspace,
        pool: ComputePool, kernels: Kernels
    ) {
        let weight = first.weight
        precondition(weight.type.hasKernels, "no kernels for \(weight.type)")
        precondition(tokens >= 0 && tokens <= workspace.maxTokens && weight.columns <= workspace.maxColumns)
        if tokens == 0 { return }
        let type = Int32(weight.type.rawValue)
        let columns = weight.columns
        let stride = tern_act_row_bytes(type, Int64(columns))
        let activations = workspace.activations
        // A few thousand values take about as long to quantize as a pool call takes to hand out and collect.
        if tokens < 2 * pool.threadCount || tokens * columns <= 8192 {
            for t in 0..<tokens {
                kernels.quantizeActivations(type, input + t * columns, activations + t * stride, Int64(columns))
            }
        } else {
            pool.forEach(tokens) { range, _ in
                for t in range {
                    kernels.quantizeActivations(type, input + t * columns, activations + t * stride, Int64(columns))
                }
            }
        }
        // Chunks of whole groups: about 4 per thread for up to 16 tokens (a decode step), where a call is short and
        // each chunk starts with its weights cold, 16 for a prompt, where a call is long and the last chunk decides
        // when all threads are done.
        let rows = (first.weight.rows, second?.weight.rows ?? 0, third?.weight.rows ?? 0)
        let pieces = pool.threadCount == 1 ? 1 : pool.threadCount * (tokens <= 16 ? 4 : 16)
        let perPiece = (rows.0 + rows.1 + rows.2 + pieces - 1) / pieces
        let size = max(rowAlignment, (perPiece + rowAlignment - 1) / rowAlignment * rowAlignment)
        let chunks = ((rows.0 + size - 1) / size, (rows.1 + size - 1) / size, (rows.2 + size - 1) / size)
        // Plain values only in the per-chunk closure: copying a Product would retain its packed storage from every
        // thread at once, and those reference counts would bounce between the cores.
        let targets = (Target(first), second.map(Target.init), third.map(Target.init))
        pool.run(chunks: chunks.0 + chunks.1 + chunks.2) { chunk, _ in
            let target: Target
            var index = chunk
            if index < chunks.0 {
                target = targets.0
            } else if index < chunks.0 + chunks.1 {
                target = targets.1!
                index -= chunks.0
            } else {
                target = targets.2!
                index -= chunks.0 + chunks.1
            }
            let begin = index * size
            let end = min(target.rows, begin + size)
            kernels.gemm(
                type, target.data, target.rowBytes, Int64(begin), Int64(end), Int64(columns), activations, stride, Int64(tokens), target.output,
                target.rows)
        }
    }

    /// What a chunk of one product needs, without the reference to the weights' storage.
    private struct Target {
        let data: UnsafeRawPointer
        let rowBytes: Int
        let rows: Int
        let output: UnsafeMutablePointer<Float>

        init(_ product: Product) {
            data = product.weight.data
            rowBytes = product.weight.rowBytes
            rows = product.weight.rows
            output = product.output
        }
    }
}
