import CTernKernels

/// Matrix products of stored weights with f32 activations.
///
/// Numerics follow llama.cpp so that logits can be compared with it: for Q4_0, Q5_0 and Q8_0 weights the activations are
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
    ///   - prepared: the activation format already in `workspace` (see ``prepare(_:row:columns:for:workspace:)``); if
    ///     it is `weight`'s (the same ``TensorType/activationType``), the input is not converted again.
    ///   - promptTokens: one byte per token, 1 for a token of a prompt batch: its products follow the reference
    ///     engine's order for a batch where the weight's format has one (IQ4_NL); nil: every token's as decoded alone.
    public static func compute(
        _ weight: WeightMatrix, input: UnsafePointer<Float>, tokens: Int, output: UnsafeMutablePointer<Float>,
        workspace: MatMulWorkspace, pool: ComputePool, prepared: TensorType? = nil, promptTokens: UnsafePointer<UInt8>? = nil
    ) {
        run(
            Product(weight, output: output), nil, nil, input: input, tokens: tokens, workspace: workspace, pool: pool, kernels: .active,
            prepared: prepared, promptTokens: promptTokens)
    }

    /// Converts row `row` of a batch's input (`columns` floats) into `workspace`, in the activation format of weights
    /// of `type`.
    ///
    /// The pass that produces a row (a norm, say) can convert it at once, on the thread that has it in cache; a
    /// ``compute`` with `prepared: type` (or a type of the same ``TensorType/activationType``) then skips its own
    /// conversion, which would otherwise cost a hand-off to the pool or a serial pass. Different rows may be prepared
    /// on different threads at once.
    public static func prepare(_ input: UnsafePointer<Float>, row: Int, columns: Int, for type: TensorType, workspace: MatMulWorkspace) {
        precondition(type.hasKernels && row < workspace.maxTokens && columns <= workspace.maxColumns)
        let code = Int32(type.activationType.rawValue)
        let stride = tern_act_row_bytes(code, Int64(columns))
        Kernels.active.quantizeActivations(code, input, workspace.activations + row * stride, Int64(columns))
    }

    /// ``compute(_:input:tokens:output:workspace:pool:)`` at a given ``CPULevel`` (one of ``CPULevel/available``),
    /// for tests and benchmarks.
    public static func compute(
        _ weight: WeightMatrix, input: UnsafePointer<Float>, tokens: Int, output: UnsafeMutablePointer<Float>,
        workspace: MatMulWorkspace, pool: ComputePool, level: CPULevel
    ) {
        run(
            Product(weight, output: output), nil, nil, input: input, tokens: tokens, workspace: workspace, pool: pool, kernels: level.kernels,
            prepared: nil)
    }

    /// Two or three products of one input (a layer's query, key and value projections, say) in one call: the input is
    /// converted once and the threads share the rows of all the matrices, so that they wait for each other once.
    ///
    /// Matrices must agree in ``WeightMatrix/columns``; if their types take different activations
    /// (``TensorType/activationType``) they are computed one after another.
    public static func compute(
        _ first: Product, _ second: Product, _ third: Product? = nil, input: UnsafePointer<Float>, tokens: Int, workspace: MatMulWorkspace,
        pool: ComputePool, prepared: TensorType? = nil, promptTokens: UnsafePointer<UInt8>? = nil
    ) {
        precondition(first.weight.columns == second.weight.columns && (third?.weight.columns ?? first.weight.columns) == first.weight.columns)
        let kernels = Kernels.active
        let activation = first.weight.type.activationType
        if second.weight.type.activationType != activation || (third.map { $0.weight.type.activationType != activation } ?? false) {
            // Each product converts the input for itself, overwriting what was prepared: only the first may use it.
            run(
                first, nil, nil, input: input, tokens: tokens, workspace: workspace, pool: pool, kernels: kernels, prepared: prepared,
                promptTokens: promptTokens)
            run(
                second, nil, nil, input: input, tokens: tokens, workspace: workspace, pool: pool, kernels: kernels, prepared: nil,
                promptTokens: promptTokens)
            if let third {
                run(
                    third, nil, nil, input: input, tokens: tokens, workspace: workspace, pool: pool, kernels: kernels, prepared: nil,
                    promptTokens: promptTokens)
            }
            return
        }
        run(
            first, second, third, input: input, tokens: tokens, workspace: workspace, pool: pool, kernels: kernels, prepared: prepared,
            promptTokens: promptTokens)
    }

    /// Rows per chunk of work are a multiple of this: the packed group of the quantized kernels.
    static let rowAlignment = 16

    private static func run(
        _ first: Product, _ second: Product?, _ third: Product?, input: UnsafePointer<Float>, tokens: Int, workspace: MatMulWorkspace,
        pool: ComputePool, kernels: Kernels, prepared: TensorType?, promptTokens: UnsafePointer<UInt8>? = nil
    ) {
        let weight = first.weight
        precondition(weight.type.hasKernels, "no kernels for \(weight.type)")
        precondition(tokens >= 0 && tokens <= workspace.maxTokens && weight.columns <= workspace.maxColumns)
        if tokens == 0 { return }
        let type = Int32(weight.type.activationType.rawValue)
        let columns = weight.columns
        let stride = tern_act_row_bytes(type, Int64(columns))
        let activations = workspace.activations
        // The input is converted here unless the pass that produced it already did, row by row.
        if prepared?.activationType != weight.type.activationType {
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
        }
        // Chunks of whole groups, over the matrices' groups one after another. One to three tokens stream the weights
        // and cut them evenly, 4 chunks per thread. More tokens compute long enough per group that a thread left with
        // the tail of a large chunk would keep the others waiting: large chunks (2 per thread for a decode step of up
        // to 16 tokens, 8 for a prompt), then single groups that even out the end.
        let rows = (first.weight.rows, second?.weight.rows ?? 0, third?.weight.rows ?? 0)
        // Interleaved BF16 tiles are two groups of 16 rows: chunks of one group would halve their products per load.
        let align = first.weight.isInterleaved ? 2 * rowAlignment : rowAlignment
        let groups = ((rows.0 + align - 1) / align, (rows.1 + align - 1) / align, (rows.2 + align - 1) / align)
        let plan = ChunkPlan(
            units: groups.0 + groups.1 + groups.2, threads: pool.threadCount, largePerThread: tokens < 4 ? 4 : tokens <= 16 ? 2 : 8,
            singlesLast: tokens >= 4)
        // Plain values only in the per-chunk closure: copying a Product would retain its packed storage from every
        // thread at once, and those reference counts would bounce between the cores.
        let targets = (Target(first), second.map(Target.init), third.map(Target.init))
        pool.run(chunks: plan.count) { chunk, _ in
            let units = plan.range(chunk)
            // The part of the chunk's units that falls on the matrix whose groups start at `base`.
            func compute(_ target: Target?, base: Int, groups: Int) {
                let begin = max(units.lowerBound, base) - base
                let end = min(units.upperBound, base + groups) - base
                guard let target, begin < end else { return }
                kernels.gemm(
                    target.kernelType, target.data, target.rowBytes, Int64(begin * align), Int64(min(target.rows, end * align)),
                    Int64(columns), activations, stride, Int64(tokens), promptTokens, target.output, target.rows)
            }
            compute(targets.0, base: 0, groups: groups.0)
            compute(targets.1, base: groups.0, groups: groups.1)
            compute(targets.2, base: groups.0 + groups.1, groups: groups.2)
        }
    }

    /// What a chunk of one product needs, without the reference to the weights' storage.
    private struct Target {
        let kernelType: Int32
        let data: UnsafeRawPointer
        let rowBytes: Int
        let rows: Int
        let output: UnsafeMutablePointer<Float>

        init(_ product: Product) {
            kernelType = product.weight.kernelType
            data = product.weight.data
            rowBytes = product.weight.rowBytes
            rows = product.weight.rows
            output = product.output
        }
    }
}
