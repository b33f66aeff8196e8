import Synchronization
import Testing

@testable import TernTensors

@Suite struct ComputePoolTests {
    @Test(arguments: [1, 2, 3, 5])
    func everyIndexRunsExactlyOncePerCall(threads: Int) {
        let pool = ComputePool(threadCount: threads)
        let count = 1000
        let hits = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: count)
        for i in 0..<count { (hits + i).initialize(to: Atomic(0)) }
        defer { hits.deallocate() }
        let threadHits = Atomic<Int>(0)
        for call in 1...500 {
            let n = call % 7 == 0 ? 0 : (call * 37) % count
            pool.run { thread in
                threadHits.add(1 << (thread * 8), ordering: .relaxed)
                for i in pool.range(n, thread: thread) { hits[i].add(1, ordering: .relaxed) }
            }
            for i in 0..<count {
                let expected = i < n ? 1 : 0
                if hits[i].exchange(0, ordering: .relaxed) != expected {
                    Issue.record("index \(i) of \(n) ran a wrong number of times in call \(call)")
                    return
                }
            }
            var perThread = threadHits.exchange(0, ordering: .relaxed)
            for _ in 0..<threads {
                #expect(perThread & 0xFF == 1)
                perThread >>= 8
            }
        }
    }

    @Test func rangesPartitionTheCount() {
        for threads in 1...6 {
            let pool = ComputePool(threadCount: threads)
            for count in [0, 1, 5, 37, 576, 1001] {
                let ranges = (0..<threads).map { pool.range(count, thread: $0) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count)
                for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
                #expect(ranges.map(\.count).max()! - ranges.map(\.count).min()! <= 1)
            }
        }
    }

    @Test func poolsCanBeCreatedAndDroppedRepeatedly() {
        for _ in 0..<20 {
            let pool = ComputePool(threadCount: 3)
            let total = Atomic<Int>(0)
            pool.run { thread in total.add(thread + 1, ordering: .relaxed) }
            #expect(total.load(ordering: .relaxed) == 6)
        }
    }
}
