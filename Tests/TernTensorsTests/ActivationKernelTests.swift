import CTernKernels
import Foundation
import Testing

@testable import TernTensors

/// Softmax, SwiGLU and the attention dot products: close to the exact functions, and bit for bit the same at every
/// level (each reproduces the reference engine's AVX-512 arithmetic, whatever its own vector width).
@Suite struct ActivationKernelTests {
    private func table(_ level: CPULevel) -> tern_kernels { tern_kernels_for_level(Int32(level.rawValue)).pointee }

    @Test func softmaxIsCloseToTheExactFunctionAtEveryLevel() {
        var random = SeededRandom(seed: 21)
        for count in [1, 2, 7, 8, 15, 16, 17, 64, 100, 257] {
            let x = (0..<count).map { _ in random.float(-30...30) }
            let maximum = x.max()!
            let exact = x.map { exp(Double($0 - maximum)) }  // the f32 difference, as the kernels form it
            let total = exact.reduce(0, +)
            for level in CPULevel.available {
                var y = x
                table(level).softmax_f32(&y, Int64(count))
                #expect(abs(y.map(Double.init).reduce(0, +) - 1) < 1e-5, "\(level) \(count)")
                for i in 0..<count {
                    let expected = exact[i] / total
                    #expect(abs(Double(y[i]) - expected) <= 4e-7 * expected + 1e-30, "\(level) \(count) [\(i)]: \(y[i]) vs \(expected)")
                }
            }
        }
    }

    @Test func softmaxIgnoresHugeNegativeValues() {
        for level in CPULevel.available {
            var y: [Float] = [0, -Float.infinity, -200, 0]
            table(level).softmax_f32(&y, 4)
            #expect(y == [0.5, 0, 0, 0.5], "\(level)")
        }
    }

    @Test func swigluIsCloseToTheExactFunctionAtEveryLevel() {
        var random = SeededRandom(seed: 22)
        for count in [1, 5, 8, 16, 31, 1536] {
            let gate = (0..<count).map { _ in random.float(-20...20) }
            let up = (0..<count).map { _ in random.float(-2...2) }
            for level in CPULevel.available {
                var y = gate
                table(level).swiglu_f32(&y, up, Int64(count))
                for i in 0..<count {
                    let g = Double(gate[i])
                    let expected = g / (1 + exp(-g)) * Double(up[i])
                    #expect(abs(Double(y[i]) - expected) <= 1e-6 * abs(expected) + 1e-30, "\(level) \(count) [\(i)]")
                }
            }
        }
    }

    @Test func everyLevelAgreesBitForBit() {
        var random = SeededRandom(seed: 23)
        for count in [3, 8, 16, 17, 64, 300, 1536] {
            let x = (0..<count).map { _ in random.float(-40...40) }
            let up = (0..<count).map { _ in random.float(-2...2) }
            var softmax = x
            var swiglu = x
            table(.scalar).softmax_f32(&softmax, Int64(count))
            table(.scalar).swiglu_f32(&swiglu, up, Int64(count))
            for level in CPULevel.available where level != .scalar {
                var a = x
                var b = x
                table(level).softmax_f32(&a, Int64(count))
                table(level).swiglu_f32(&b, up, Int64(count))
                #expect(a == softmax, "softmax \(level) \(count)")
                #expect(b == swiglu, "swiglu \(level) \(count)")
            }
        }
    }

    @Test(arguments: [1, 7, 16, 33, 64, 65, 200, 256])
    func halfRowsDotIsExactlySummedTheSameAtEveryLevel(columns: Int) {
        var random = SeededRandom(seed: UInt64(columns))
        let rowCount = 37  // two blocks of 16 rows and a tail
        let stride = columns + 3
        let xStride = columns + 5
        let outputStride = rowCount + 2
        var rows = [UInt16](repeating: 0, count: rowCount * stride)
        for i in rows.indices { rows[i] = tern_f32_to_f16(random.float(-4...4)) }
        // A row of negative zeros: its products are zeros of either sign, and every level must sum them to the same zero.
        for c in 0..<columns { rows[5 * stride + c] = 0x8000 }
        // Up to 6 vectors: one at a time as a lone query head, several as the heads that share a key/value head.
        for xCount in [1, 3, 6] {
            var x = [Float](repeating: 0, count: xCount * xStride)
            for i in x.indices { x[i] = tern_f16_to_f32(tern_f32_to_f16(random.float(-4...4))) }
            for oneToken in [Int32(0), 1] {
                var reference = [Float](repeating: 0, count: xCount * outputStride)
                table(.scalar).f16_rows_dot(
                    rows, stride, Int64(rowCount), x, xStride, Int64(xCount), Int64(columns), &reference, outputStride, oneToken)
                for k in 0..<xCount {
                    for r in 0..<rowCount {
                        var exact = 0.0
                        for c in 0..<columns { exact += Double(tern_f16_to_f32(rows[r * stride + c])) * Double(x[k * xStride + c]) }
                        #expect(abs(Double(reference[k * outputStride + r]) - exact) <= 1e-5 * Double(columns) * 16, "vector \(k) row \(r)")
                    }
                }
                for level in CPULevel.available where level != .scalar {
                    var out = [Float](repeating: 0, count: xCount * outputStride)
                    table(level).f16_rows_dot(
                        rows, stride, Int64(rowCount), x, xStride, Int64(xCount), Int64(columns), &out, outputStride, oneToken)
                    #expect(out.map(\.bitPattern) == reference.map(\.bitPattern), "\(level), \(xCount) vectors, one token: \(oneToken)")
                }
            }
        }
    }

    /// Values stored one row per position give, column by column, the very sums of the transposed rows.
    @Test(arguments: [1, 16, 33, 64, 65, 200])
    func halfColumnsDotSumsAsTheTransposedRowsDo(positions: Int) {
        var random = SeededRandom(seed: UInt64(100 + positions))
        // 64 columns (a head of most small models, which has its own kernel) and four vectors and a partial one
        for columns in [64, 72] {
            let stride = columns + 8
            let xStride = positions + 3
            let outputStride = columns + 1
            var rows = [UInt16](repeating: 0, count: positions * stride)
            for i in rows.indices { rows[i] = tern_f32_to_f16(random.float(-4...4)) }
            // A position of negative zeros, whose products are zeros of either sign.
            if positions > 5 { for c in 0..<columns { rows[5 * stride + c] = 0x8000 } }
            var transposed = [UInt16](repeating: 0, count: columns * positions)
            for p in 0..<positions {
                for c in 0..<columns { transposed[c * positions + p] = rows[p * stride + c] }
            }
            for xCount in [1, 2, 3, 5] {
                var x = [Float](repeating: 0, count: xCount * xStride)
                for i in x.indices { x[i] = tern_f16_to_f32(tern_f32_to_f16(random.float(0...1))) }
                for oneToken in [Int32(0), 1] {
                    var reference = [Float](repeating: 0, count: xCount * outputStride)
                    table(.scalar).f16_rows_dot(
                        transposed, positions, Int64(columns), x, xStride, Int64(xCount), Int64(positions), &reference, outputStride, oneToken)
                    for level in CPULevel.available {
                        var out = [Float](repeating: 0, count: xCount * outputStride)
                        table(level).f16_cols_dot(
                            rows, stride, Int64(positions), Int64(columns), x, xStride, Int64(xCount), &out, outputStride, oneToken)
                        #expect(
                            out.map(\.bitPattern) == reference.map(\.bitPattern),
                            "\(level), \(columns) columns, \(xCount) vectors, one token: \(oneToken)")
                    }
                }
            }
        }
    }
}
