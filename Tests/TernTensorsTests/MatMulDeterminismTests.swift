import Testing

@testable import TernTensors

/// At one ``CPULevel``, every output of ``MatMul/compute`` is bit-identical however the tokens are batched and the rows
/// split across threads: a sequence decoded next to others must see exactly the logits it sees alone.
@Suite struct MatMulDeterminismTests {
    static let tokens = 17
    /// Ways to cut the 17 tokens into consecutive calls.
    static let groupings: [[Int]] = [[5, 12], [3, 1, 13], [8, 9], [16, 1], [2, 7, 8], Array(repeating: 1, count: 17)]

    @Test(arguments: KernelLevelTests.allTypes)
    func outputsDoNotDependOnBatching(type: TensorType) {
        var random = SeededRandom(seed: 77 + UInt64(type.rawValue))
        // block counts 1, 3, 18 and 19: odd counts take the single-block tail
        for columns in type.blockElements == 256 ? [256, 768, 1536, 1792] : [32, 96, 576, 608] {
            for rows in [5, 37] {
                let weights = RandomWeights(type: type, rows: rows, columns: columns, offset: 3, random: &random)
                let input = randomActivations(Self.tokens * columns, random: &random)
                var references: [CPULevel: [Float]] = [:]
                for level in CPULevel.available {
                    let reference = run(weights, input, columns: columns, groups: [Self.tokens], threads: 1, level: level)
                    references[level] = reference
                    for threads in [1, 2, 3] {
                        for groups in [[Self.tokens]] + Self.groupings {
                            let output = run(weights, input, columns: columns, groups: groups, threads: threads, level: level)
                            if let i = firstDifference(output, reference) {
                                Issue.record(
                                    """
                                    \(type) \(level) rows \(rows) cols \(columns) threads \(threads) groups \(groups): \
                                    [\(i / rows)][\(i % rows)] \(output[i]) vs \(reference[i]) in one call
                                    """)
                                return
                            }
                        }
                    }
                }
                // the AVX-512 integer kernels sum in the AVX2 kernels' order
                if KernelLevelTests.quantizedTypes.contains(type), let avx2 = references[.avx2], let avx512 = references[.avx512] {
                    #expect(firstDifference(avx512, avx2) == nil, "\(type) rows \(rows) cols \(columns): AVX-512 differs from AVX2")
                }
            }
        }
    }

    /// `MatMul.compute` over consecutive slices of the tokens, `groups` tokens per call.
    private func run(
        _ weights: RandomWeights, _ input: [Float], columns: Int, groups: [Int], threads: Int, level: CPULevel
    ) -> [Float] {
        let rows = weights.matrix.rows
        let pool = ComputePool(threadCount: threads)
        let workspace = MatMulWorkspace(maxTokens: Self.tokens, maxColumns: columns, threads: threads)
        var output = [Float](repeating: .nan, count: Self.tokens * rows)
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { out in
                var first = 0
                for count in groups {
                    MatMul.compute(
                        weights.matrix, input: x.baseAddress! + first * columns, tokens: count, output: out.baseAddress! + first * rows,
                        workspace: workspace, pool: pool, level: level)
                    first += count
                }
            }
        }
        return output
    }

    /// The first index whose float bit patterns differ.
    private func firstDifference(_ a: [Float], _ b: [Float]) -> Int? {
        a.indices.first { a[$0].bitPattern != b[$0].bitPattern }
    }
}
