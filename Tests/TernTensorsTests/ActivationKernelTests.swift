import CTernKernels
import Foundation
import Testing

@testable import TernTensors

/// Softmax and SwiGLU: close to the exact functions at every level, and the AVX2 level bit for bit the scalar one
/// (both compute the reference engine's 256-bit e^x, lane by lane).
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

    @Test func avx2AndScalarLevelsAgreeBitForBit() {
        guard CPULevel.available.contains(.avx2) else { return }
        var random = SeededRandom(seed: 23)
        for count in [3, 8, 64, 300, 1536] {
            let x = (0..<count).map { _ in random.float(-40...40) }
            let up = (0..<count).map { _ in random.float(-2...2) }
            var a = x, b = x
            table(.scalar).softmax_f32(&a, Int64(count))
            table(.avx2).softmax_f32(&b, Int64(count))
            #expect(a == b, "softmax \(count)")
            a = x
            b = x
            table(.scalar).swiglu_f32(&a, up, Int64(count))
            table(.avx2).swiglu_f32(&b, up, Int64(count))
            #expect(a == b, "swiglu \(count)")
        }
    }
}
