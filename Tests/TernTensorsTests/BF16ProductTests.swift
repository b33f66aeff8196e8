import CTernKernels
import Testing

@testable import TernTensors

/// BF16 matrices: the conversion of activations and weights to bf16, and products that multiply bf16 pairs where the
/// CPU can (``CPULevel/multipliesBF16Pairs``).
@Suite struct BF16ProductTests {
    private func table(_ level: CPULevel) -> tern_kernels { tern_kernels_for_level(Int32(level.rawValue)).pointee }

    /// Values whose rounding is easy to get wrong: ties either way, the largest float (rounds to infinity), infinities,
    /// NaNs of both signs and payloads, subnormals, zeros of both signs.
    static let awkward: [Float] = [
        Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000), Float(bitPattern: 0x3F80_8001), Float(bitPattern: 0xBF81_8000),
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity, .nan, -.nan, Float(bitPattern: 0x7F80_0001),
        Float(bitPattern: 0xFFBF_FFFF), .leastNonzeroMagnitude, -.leastNormalMagnitude, Float(bitPattern: 0x0000_8000), 0, -0.0,
    ]

    @Test func activationsRoundIdenticallyAtEveryLevel() {
        var random = SeededRandom(seed: 41)
        for count in [1, 15, 16, 17, 33, 384, 1001] {
            var x = (0..<count).map { _ in random.float(-4...4) }
            for (index, value) in Self.awkward.enumerated() where index < count { x[(index * 7) % count] = value }
            var reference = [UInt16](repeating: 0, count: count)
            table(.scalar).quantize_act(Int32(TensorType.bf16.rawValue), x, &reference, Int64(count))
            #expect(zip(x, reference).allSatisfy { tern_f32_to_bf16($0) == $1 })
            for level in CPULevel.available where level != .scalar {
                // one value past the end, which must stay as it was
                var converted = [UInt16](repeating: 0xABCD, count: count + 1)
                table(level).quantize_act(Int32(TensorType.bf16.rawValue), x, &converted, Int64(count))
                #expect(Array(converted.prefix(count)) == reference, "\(level) \(count)")
                #expect(converted[count] == 0xABCD, "\(level) \(count) wrote past the row")
            }
        }
    }

    @Test func bf16CopyRoundsEveryWeightAndLeavesOtherTypesAlone() {
        var random = SeededRandom(seed: 43)
        let weights = RandomWeights(type: .f32, rows: 5, columns: 37, offset: 4, random: &random)
        let copy = weights.matrix.bf16Copy()
        #expect(copy.type == .bf16 && copy.rows == 5 && copy.columns == 37 && copy.rowBytes == 74 && !copy.isPacked && copy.ownsCopy)
        #expect(copy.isInterleaved == CPULevel.multipliesBF16Pairs)
        var row = [Float](repeating: 0, count: 37)
        for r in 0..<5 {
            let stored = weights.row(r).assumingMemoryBound(to: Float.self)
            copy.dequantizeRow(r, into: &row)
            #expect((0..<37).allSatisfy { row[$0].bitPattern == UInt32(tern_f32_to_bf16(stored[$0])) << 16 }, "row \(r)")
        }
        let quantized = RandomWeights(type: .q8_0, rows: 16, columns: 64, offset: 0, random: &random)
        #expect(quantized.matrix.bf16Copy().data == quantized.matrix.data)
    }

    /// Every level's product of bf16 weights and bf16 activations (as plain rows, and interleaved where the CPU
    /// multiplies bf16 pairs) is the exact sum of the same products up to f32 accumulation, and a token's outputs are
    /// the same bits alone as in a batch, whatever group of rows a chunk starts at.
    @Test func productsAreExactUpToAccumulationAndIndependentOfTheBatch() {
        var random = SeededRandom(seed: 47)
        let rows = 37
        for columns in [7, 40, 96, 384, 1001] {
            let weights = RandomWeights(type: .bf16, rows: rows, columns: columns, offset: 2, random: &random)
            #expect(weights.matrix.isInterleaved == CPULevel.multipliesBF16Pairs)
            // the GGUF rows, and the matrix's own layout when it differs
            var layouts = [(Int32(TensorType.bf16.rawValue), weights.source)]
            if weights.matrix.isInterleaved { layouts.append((weights.matrix.kernelType, weights.matrix.data)) }
            let dequantized = (0..<rows).map { weights.dequantized($0) }
            let tokens = 9
            let x = (0..<(tokens * columns)).map { _ in random.float(-2...2) }
            // the activations as the kernels see them
            let rounded = x.map { Float(bitPattern: UInt32(tern_f32_to_bf16($0)) << 16) }
            for level in CPULevel.available {
                let kernels = level.kernels
                let stride = tern_act_row_bytes(Int32(TensorType.bf16.rawValue), Int64(columns))
                let activations = UnsafeMutableRawPointer.allocate(byteCount: tokens * stride, alignment: 64)
                defer { activations.deallocate() }
                for t in 0..<tokens {
                    x.withUnsafeBufferPointer {
                        kernels.quantizeActivations(
                            Int32(TensorType.bf16.rawValue), $0.baseAddress! + t * columns, activations + t * stride, Int64(columns))
                    }
                }
                for (code, data) in layouts {
                    func product(rows range: Range<Int>, tokens: Range<Int>) -> [Float] {
                        var out = [Float](repeating: .nan, count: tokens.count * rows)
                        kernels.gemm(
                            code, data, weights.rowBytes, Int64(range.lowerBound),
                            Int64(range.upperBound), Int64(columns), activations + tokens.lowerBound * stride, stride, Int64(tokens.count), nil, &out,
                            rows)
                        return out
                    }
                    let batch = product(rows: 0..<rows, tokens: 0..<tokens)
                    for t in 0..<tokens {
                        let alone = product(rows: 0..<rows, tokens: t..<(t + 1))
                        let (head, tail) = (product(rows: 0..<16, tokens: t..<(t + 1)), product(rows: 16..<rows, tokens: t..<(t + 1)))
                        // a chunk writes its own rows only
                        #expect(
                            head.dropFirst(16).allSatisfy(\.isNaN) && tail.prefix(16).allSatisfy(\.isNaN), "\(level) \(code) wrote outside its rows")
                        let split = head.prefix(16) + tail.dropFirst(16)
                        for r in 0..<rows {
                            let xt = rounded[(t * columns)..<((t + 1) * columns)]
                            let exact = zip(dequantized[r], xt).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                            let magnitude = zip(dequantized[r], xt).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
                            let value = batch[t * rows + r]
                            #expect(
                                abs(Double(value) - exact) <= 1e-5 * magnitude + 1e-6,
                                "\(level) \(code) cols \(columns) [\(t)][\(r)]: \(value) vs \(exact)")
                            #expect(alone[r].bitPattern == value.bitPattern, "\(level) \(code) cols \(columns) [\(t)][\(r)] alone")
                            #expect(split[r].bitPattern == value.bitPattern, "\(level) \(code) cols \(columns) [\(t)][\(r)] in a chunk from row 16")
                        }
                    }
                }
            }
        }
    }
}
