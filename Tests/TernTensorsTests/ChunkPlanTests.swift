import Testing

@testable import TernTensors

struct ChunkPlanTests {
    @Test(arguments: [0, 1, 3, 4, 12, 36, 60, 192, 3072])
    func chunksCoverEveryUnitOnceInOrder(units: Int) {
        for threads in [1, 2, 3, 8] {
            for (large, singlesLast) in [(2, true), (8, true), (4, false)] {
                let plan = ChunkPlan(units: units, threads: threads, largePerThread: large, singlesLast: singlesLast)
                var next = 0
                for index in 0..<plan.count {
                    let range = plan.range(index)
                    #expect(range.lowerBound == next && !range.isEmpty, "\(units) units, \(threads) threads: chunk \(index) is \(range)")
                    next = range.upperBound
                }
                #expect(next == units)
                if threads > 1 && units >= 2 * threads && singlesLast {
                    // The last chunks are single units, so that the threads finish together.
                    #expect(plan.range(plan.count - 1).count == 1)
                }
            }
        }
    }
}
