import CTernKernels
import Foundation
import Synchronization
import Testing

@testable import TernTensors

/// Timings that only print, for reading by hand: `TERN_BENCH=1 swift test -c release -Xswiftc -enable-testing
/// --filter Benchmark`. They assert only that the work was done, never on time, and are off unless `TERN_BENCH=1`
/// because timings of tests running in parallel mean nothing.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TERN_BENCH"] == "1"))
struct BenchmarkTests {
    @Test func poolHandOff() {
        for threads in [1, 2] {
            let pool = ComputePool(threadCount: threads)
            let sink = Atomic<Int>(0)
            let chunks = 4 * threads
            for _ in 0..<1000 { pool.run(chunks: chunks) { chunk, _ in sink.add(chunk + 1, ordering: .relaxed) } }
            let calls = 200_000
            let start = tern_now_ns()
            for _ in 0..<calls { pool.run(chunks: chunks) { chunk, _ in sink.add(chunk + 1, ordering: .relaxed) } }
            let perCall = Double(tern_now_ns() - start) / Double(calls)
            print("bench ComputePool(threadCount: \(threads)).run, \(chunks) empty chunks: \(String(format: "%.0f", perCall)) ns per call")
            #expect(sink.load(ordering: .relaxed) == (1000 + calls) * chunks * (chunks + 1) / 2)
        }
    }

    /// One decode step of SmolLM2-135M's matrices: 30 layers of Q4_1 q, k, v, o, gate, up, down and the Q8_0 output.
    @Test func smolLM2TokenMatrices() {
        let layerShapes = [(576, 576), (192, 576), (192, 576), (576, 576), (1536, 576), (1536, 576), (576, 1536)]
        var random = SeededRandom(seed: 99)
        var matrices: [(WeightMatrix, UnsafeMutableRawPointer)] = []
        for _ in 0..<30 {
            for (rows, columns) in layerShapes { matrices.append(Self.weights(.q4_1, rows, columns, &random)) }
        }
        matrices.append(Self.weights(.q8_0, 49152, 576, &random))
        defer { for (_, buffer) in matrices { buffer.deallocate() } }
        let maxTokens = 64
        let input = (0..<(maxTokens * 1536)).map { _ in random.float(-1...1) }
        let output = UnsafeMutablePointer<Float>.allocate(capacity: maxTokens * 49152)
        defer { output.deallocate() }
        for level in CPULevel.available where level != .scalar {
            for threads in [1, 2] {
                let pool = ComputePool(threadCount: threads)
                let workspace = MatMulWorkspace(maxTokens: maxTokens, maxColumns: 1536, threads: threads)
                for tokens in [1, maxTokens] {
                    let step = {
                        for (matrix, _) in matrices {
                            MatMul.compute(matrix, input: input, tokens: tokens, output: output, workspace: workspace, pool: pool, level: level)
                        }
                    }
                    step()
                    let repeats = tokens == 1 ? 30 : 3
                    let start = tern_now_ns()
                    for _ in 0..<repeats { step() }
                    let ms = Double(tern_now_ns() - start) / 1e6 / Double(repeats)
                    let perToken = ms / Double(tokens)
                    print(
                        "bench SmolLM2-135M matrices, \(level), \(threads) thread(s), batch \(tokens): "
                            + "\(String(format: "%.3f", perToken)) ms per token (\(String(format: "%.0f", 1000 / perToken)) tokens/s)")
                    #expect(output[0].isFinite)
                }
            }
        }
    }

    private static func weights(_ type: TensorType, _ rows: Int, _ columns: Int, _ random: inout SeededRandom) -> (
        WeightMatrix, UnsafeMutableRawPointer
    ) {
        let bytes = rows * type.rowBytes(columns)!
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes + 8, alignment: 64)
        for i in 0..<(bytes / 8 + 1) { buffer.storeBytes(of: random.next(), toByteOffset: 8 * i, as: UInt64.self) }
        for block in 0..<(bytes / type.blockBytes) {
            let base = buffer + block * type.blockBytes
            base.storeBytes(of: Float16(0.01).bitPattern, as: UInt16.self)
            if type == .q4_1 { base.storeBytes(of: Float16(-0.07).bitPattern, toByteOffset: 2, as: UInt16.self) }
        }
        return (WeightMatrix(type: type, rows: rows, columns: columns, data: UnsafeRawPointer(buffer)), buffer)
    }
}
