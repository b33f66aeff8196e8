import CTernKernels
import Testing

@testable import TernTensors

/// ``MatMul/compute`` against dequantize-then-f32, at every level, thread count and a few batch sizes.
@Suite struct MatMulTests {
    @Test(arguments: KernelLevelTests.allTypes)
    func computeMatchesNaiveReference(type: TensorType) {
        var random = SeededRandom(seed: 21 + UInt64(type.rawValue))
        let rows = 37
        for columns in type.blockElements == 256 ? [256, 512, 1536] : [64, 96, 576] {
            let weights = RandomWeights(type: type, rows: rows, columns: columns, offset: 1, random: &random)
            let dequantized = (0..<rows).map { weights.dequantized($0) }
            for tokens in [1, 3, 17] {
                let x = randomActivations(tokens * columns + 1, random: &random)
                let inputs = Array(x.dropFirst())
                // exact value and allowed error of every output, computed once for all levels and thread counts
                var exact = [Double](repeating: 0, count: tokens * rows)
                var bounds = [Double](repeating: 0, count: tokens * rows)
                for t in 0..<tokens {
                    let xt = inputs[(t * columns)..<((t + 1) * columns)]
                    for r in 0..<rows {
                        let w = dequantized[r]
                        let magnitude = absoluteSum(w, xt)
                        exact[t * rows + r] = zip(w, xt).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                        switch type {
                        case .f32: bounds[t * rows + r] = 1e-5 * magnitude + 1e-6
                        case .f16: bounds[t * rows + r] = 1e-3 * magnitude + 1e-6
                        case .bf16: bounds[t * rows + r] = 5e-3 * magnitude + 1e-6
                        default: bounds[t * rows + r] = activationQuantizationBound(w, xt, block: type.blockElements) + 1e-4 * magnitude + 1e-6
                        }
                    }
                }
                for threads in [1, 2, 3] {
                    let pool = ComputePool(threadCount: threads)
                    let workspace = MatMulWorkspace(maxTokens: 20, maxColumns: 1536, threads: threads)
                    for level in CPULevel.available {
                        var output = [Float](repeating: .nan, count: tokens * rows)
                        x.withUnsafeBufferPointer { xs in
                            MatMul.compute(
                                weights.matrix, input: xs.baseAddress! + 1, tokens: tokens, output: &output, workspace: workspace, pool: pool,
                                level: level)
                        }
                        for i in 0..<(tokens * rows) where !(abs(Double(output[i]) - exact[i]) <= bounds[i]) {
                            Issue.record(
                                "\(type) \(level) threads \(threads) cols \(columns) [\(i / rows)][\(i % rows)]: \(output[i]) vs \(exact[i])")
                            return
                        }
                    }
                }
            }
        }
    }

    /// The integer block dot equals Σ dequantize(w)·dequantize(q) up to float rounding (and the f16 rounding of s).
    @Test(arguments: KernelLevelTests.quantizedTypes)
    func integerDotEqualsDequantizedDot(type: TensorType) {
        var random = SeededRandom(seed: 33)
        let kQuant = type.blockElements == 256
        let columns = kQuant ? 1536 : 576
        let blocks = columns / 32
        let weights = RandomWeights(type: type, rows: 8, columns: columns, offset: 0, random: &random)
        let x = randomActivations(columns, random: &random)
        let code = Int32(weights.matrix.type.rawValue)
        let act = UnsafeMutableRawPointer.allocate(byteCount: tern_act_row_bytes(code, Int64(columns)), alignment: 64)
        defer { act.deallocate() }
        let scalar = tern_kernels_for_level(0).pointee
        scalar.quantize_act(code, x, act, Int64(columns))
        // The activation each weight meets: q·d, d per block of 32 ({d, s} pairs after the lanes) or of 256 (after the qs).
        let scales = (act + (kQuant ? columns : 64 * blocks)).assumingMemoryBound(to: Float.self)
        let xq = (0..<columns).map { Float(act.load(fromByteOffset: $0, as: Int8.self)) * (kQuant ? scales[$0 / 256] : scales[2 * ($0 / 32)]) }
        for level in CPULevel.available {
            var out = [Float](repeating: 0, count: 8)
            level.kernels.gemm(code, weights.matrix.data, weights.matrix.rowBytes, 0, 8, Int64(columns), act, 0, 1, nil, &out, 8)
            for r in 0..<8 {
                let w = weights.dequantized(r)
                let expected = zip(w, xq).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                var bound = 1e-5 * absoluteSum(w, xq[...])
                if type == .q4_1 || type == .q5_1 {
                    // the m·s term uses s = f16(d·Σq): relative error ≤ 2^-11 of |m·d·Σq| per block
                    for b in 0..<blocks {
                        let m = Float(Float16(bitPattern: weights.row(r).loadUnaligned(fromByteOffset: type.blockBytes * b + 2, as: UInt16.self)))
                        bound += Double(abs(m * xq[(32 * b)..<(32 * b + 32)].reduce(0, +))) * 1.5e-3
                    }
                }
                #expect(abs(Double(out[r]) - expected) <= bound + 1e-7, "\(type) \(level) row \(r)")
            }
        }
    }

    /// Packing moves bytes and nothing else: every row of a packed matrix converts to the floats of its GGUF row.
    @Test(arguments: KernelLevelTests.allTypes)
    func packedRowsDequantizeLikeTheirSource(type: TensorType) {
        var random = SeededRandom(seed: 41)
        let shapes = type.blockElements == 256 ? [(1, 256), (15, 512), (37, 768)] : [(1, 32), (15, 64), (16, 96), (37, 576)]
        for (rows, columns) in shapes {
            let weights = RandomWeights(type: type, rows: rows, columns: columns, offset: 5, random: &random)
            #expect(weights.matrix.isPacked == KernelLevelTests.packedTypes.contains(type))
            #expect(weights.matrix.type == type)
            var row = [Float](repeating: .nan, count: columns)
            for r in 0..<rows {
                weights.matrix.dequantizeRow(r, into: &row)
                #expect(row.elementsEqual(weights.dequantized(r)) { $0.bitPattern == $1.bitPattern }, "\(type) \(rows)×\(columns) row \(r)")
            }
        }
    }

    /// Products that share an input, computed in one call, equal the same products computed one by one, bit for bit,
    /// whether the matrices share a type, only an activation format (Q5_0 and Q8_0), or neither.
    @Test(arguments: zip([TensorType.q4_1, .q4_1, .q4_1, .q5_0], [TensorType.q4_1, .q8_0, .f16, .q8_0]))
    func sharedInputProductsEqualSeparateOnes(outerType: TensorType, secondType: TensorType) {
        var random = SeededRandom(seed: 51)
        let columns = 96
        let shapes: [(TensorType, Int)] = [(outerType, 40), (secondType, 16), (outerType, 7)]
        let matrices = shapes.map { RandomWeights(type: $0.0, rows: $0.1, columns: columns, offset: 0, random: &random) }
        for tokens in [1, 5, 20] {
            let x = randomActivations(tokens * columns, random: &random)
            for threads in [1, 2, 3] {
                let pool = ComputePool(threadCount: threads)
                let workspace = MatMulWorkspace(maxTokens: 20, maxColumns: columns, threads: threads)
                var separate = shapes.map { [Float](repeating: .nan, count: tokens * $0.1) }
                var (a, b, c) = (separate[0], separate[1], separate[2])
                for i in 0..<3 {
                    MatMul.compute(matrices[i].matrix, input: x, tokens: tokens, output: &separate[i], workspace: workspace, pool: pool)
                }
                a.withUnsafeMutableBufferPointer { a in
                    b.withUnsafeMutableBufferPointer { b in
                        c.withUnsafeMutableBufferPointer { c in
                            MatMul.compute(
                                .init(matrices[0].matrix, output: a.baseAddress!), .init(matrices[1].matrix, output: b.baseAddress!),
                                .init(matrices[2].matrix, output: c.baseAddress!), input: x, tokens: tokens, workspace: workspace, pool: pool)
                        }
                    }
                }
                // Rows converted beforehand by MatMul.prepare (over what another input left in the workspace) give the same.
                var (d, e, f) = (separate[0], separate[1], separate[2])
                let other = randomActivations(tokens * columns, random: &random)
                var scratch = [Float](repeating: 0, count: tokens * matrices[0].matrix.rows)
                MatMul.compute(matrices[0].matrix, input: other, tokens: tokens, output: &scratch, workspace: workspace, pool: pool)
                for t in 0..<tokens {
                    MatMul.prepare(
                        x.withUnsafeBufferPointer { $0.baseAddress! } + t * columns, row: t, columns: columns, for: outerType, workspace: workspace)
                }
                d.withUnsafeMutableBufferPointer { d in
                    e.withUnsafeMutableBufferPointer { e in
                        f.withUnsafeMutableBufferPointer { f in
                            MatMul.compute(
                                .init(matrices[0].matrix, output: d.baseAddress!), .init(matrices[1].matrix, output: e.baseAddress!),
                                .init(matrices[2].matrix, output: f.baseAddress!), input: x, tokens: tokens, workspace: workspace, pool: pool,
                                prepared: outerType)
                        }
                    }
                }
                let together = [a, b, c]
                let prepared = [d, e, f]
                for i in 0..<3 {
                    #expect(
                        together[i].elementsEqual(separate[i]) { $0.bitPattern == $1.bitPattern },
                        "matrix \(i), second \(secondType), tokens \(tokens), threads \(threads)")
                    #expect(
                        prepared[i].elementsEqual(separate[i]) { $0.bitPattern == $1.bitPattern },
                        "prepared: matrix \(i), second \(secondType), tokens \(tokens), threads \(threads)")
                }
            }
        }
    }

    @Test func emptyBatchesAreNoOps() {
        var random = SeededRandom(seed: 1)
        let weights = RandomWeights(type: .q4_1, rows: 4, columns: 32, offset: 0, random: &random)
        var output: [Float] = [42]
        MatMul.compute(
            weights.matrix, input: [Float](repeating: 1, count: 32), tokens: 0, output: &output,
            workspace: MatMulWorkspace(maxTokens: 1, maxColumns: 32, threads: 1), pool: ComputePool(threadCount: 2))
        #expect(output == [42])
    }
}
