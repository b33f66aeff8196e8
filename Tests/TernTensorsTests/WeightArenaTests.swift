import Testing

@testable import TernTensors

struct WeightArenaTests {
    /// Matrices packed into an arena hold the same weights as matrices packed alone, whether they fit or overflow it.
    @Test func packedMatricesInAnArenaAreTheSame() {
        var random = SeededRandom(seed: 7)
        let shapes: [(TensorType, Int)] = [(.q4_1, 40), (.q5_0, 33), (.q4_0, 16), (.f16, 5)]
        let sources = shapes.map { RandomWeights(type: $0.0, rows: $0.1, columns: 64, offset: 0, random: &random) }
        // Room for the first two only: the third falls back to memory of its own; F16 is not packed at all.
        let arena = WeightArena(
            capacity: sources.prefix(2).reduce(0) { $0 + WeightArena.bytes(for: $1.type, rows: $1.matrix.rows, columns: 64) })
        #expect(WeightArena.bytes(for: .f16, rows: 5, columns: 64) == 0)
        for source in sources {
            let inArena = WeightMatrix(type: source.type, rows: source.matrix.rows, columns: 64, data: source.source, arena: arena)
            #expect(inArena.isPacked == source.matrix.isPacked)
            var a = [Float](repeating: 0, count: 64)
            var b = a
            for r in 0..<source.matrix.rows {
                inArena.dequantizeRow(r, into: &a)
                source.matrix.dequantizeRow(r, into: &b)
                #expect(a == b, "\(source.matrix.type) row \(r)")
            }
        }
    }
}
