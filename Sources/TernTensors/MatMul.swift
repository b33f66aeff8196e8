import CTernKernels

/// Matrix products of stored weights with f32 activations.
///
/// Numerics follow llama.cpp so that logits can be compared with it: for Q4_0 and Q8_0 weights the activations are
/// quantized to Q8_0 blocks (32 int8 and an f16 scale), for Q4_1 to Q8_1 blocks (the same plus the f16 sum `s`),
/// and each block's dot product is an exact integer sum scaled by `d_w·d_a` (plus `m_w·s_a` for Q4_1). F16 and BF16
/// weights meet activations rounded to F16 and BF16 and are summed in f32; F32 weights use f32 throughout.
public enum MatMul {
    /// `output[t][r] = Σ_c weight[r][c] · input[t][c]` for `t` in `0..<tokens`.
    ///
    /// The inputs are converted once into `workspace`, then the rows of `weight` are split across `pool`; with more
    /// than one token, each block of weight rows is reused for groups of 4 tokens while it is in cache.
    ///
    /// - Parameters:
    ///   - input: `[tokens][weight.columns]` row-major.
    ///   - output: `[tokens][weight.rows]` row-major.
    public static func compute(
        _ weight: WeightMatrix, input: UnsafePointer<Float>, tokens: Int, output: UnsafeMutablePointer<Float>,
        workspace: MatMulWorkspace, pool: ComputePool
    ) {
        compute(weight, input: input, tokens: tokens, output: output, workspace: workspace, pool: pool, kernels: Kernels.active)
    }

    /// ``compute(_:input:tokens:output:workspace:pool:)`` at a given ``CPULevel`` (one of ``CPULevel/available``),
    /// for tests and benchmarks.
    public static func compute(
        _ weight: WeightMatrix, input: UnsafePointer<Float>, tokens: Int, output: UnsafeMutablePointer<Float>,
        workspace: MatMulWorkspace, pool: ComputePool, level: CPULevel
    ) {
        compute(weight, input: input, tokens: tokens, output: output, workspace: workspace, pool: pool, kernels: level.kernels)
    }

    static func compute(
        _ weight: WeightMatrix, input: UnsafePointer<Float>, tokens: Int, output: UnsafeMutablePointer<Float>,
        workspace: MatMulWorkspace, pool: ComputePool, kernels: Kernels
    ) {
        precondition(weight.type.hasKernels, "no kernels for \(weight.type)")
        precondition(tokens >= 0 && tokens <= workspace.maxTokens && weight.columns <= workspace.maxColumns)
        if tokens == 0 || weight.rows == 0 { return }
        let type = Int32(weight.type.rawValue)
        let columns = weight.columns
        let stride = tern_act_row_bytes(type, Int64(columns))
        let activations = workspace.activations
        if tokens < 2 * pool.threadCount {
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
        let rows = weight.rows
        pool.forEach(rows, alignment: 16) { share, _ in
            kernels.gemm(
                type, weight.data, weight.rowBytes, Int64(share.lowerBound), Int64(share.upperBound), Int64(columns),
                activations, stride, Int64(tokens), output, rows)
        }
    }
}
