import Synchronization
import Testing

@testable import TernTensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite struct ComputePoolTests {
    @Test(arguments: [1, 2, 3, 5])
    func everyIndexRunsExactlyOncePerCall(threads: Int) {
        let pool = ComputePool(threadCount: threads)
        let count = 1000
        let hits = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: count)
        for i in 0..<count { (hits + i).initialize(to: Atomic(0)) }
        defer { hits.deallocate() }
        let badThread = Atomic<Int>(0)
        for call in 1...500 {
            let n = call % 7 == 0 ? 0 : (call * 37) % count
            pool.forEach(n, alignment: call % 3 + 1) { range, thread in
                if !(0..<threads).contains(thread) { badThread.add(1, ordering: .relaxed) }
                for i in range { hits[i].add(1, ordering: .relaxed) }
            }
            for i in 0..<count {
                let expected = i < n ? 1 : 0
                if hits[i].exchange(0, ordering: .relaxed) != expected {
                    Issue.record("index \(i) of \(n) ran a wrong number of times in call \(call)")
                    return
                }
            }
        }
        #expect(badThread.load(ordering: .relaxed) == 0)
    }

    @Test func chunksAreAlignedAndCoverTheCount() {
        for threads in 1...6 {
            let pool = ComputePool(threadCount: threads)
            for count in [1, 5, 37, 192, 576, 1001, 49152, 1 << 20] {
                for alignment in [1, 16] {
                    let size = pool.chunkSize(count, alignment: alignment)
                    let chunks = (count + size - 1) / size
                    #expect(size >= 1 && chunks <= 0xFFFF)
                    #expect(size % alignment == 0 || chunks == 1)
                    #expect(threads == 1 ? chunks == 1 : chunks <= threads * ComputePool.chunksPerThread)
                }
            }
        }
    }

    /// A worker that stalls (as when the OS deschedules it) does not hold the call: the caller runs the other chunks.
    @Test func aStalledWorkerLeavesItsShareToTheCaller() {
        let pool = ComputePool(threadCount: 2)
        let chunks = 8
        let callerChunks = Atomic<Int>(0)
        let workerChunks = Atomic<Int>(0)
        pool.run(chunks: chunks) { _, thread in
            if thread == 0 {
                callerChunks.add(1, ordering: .relaxed)
            } else {
                workerChunks.add(1, ordering: .relaxed)
                // Hold this chunk until the caller has run every other one; bounded so that a static split fails
                // the expectation below instead of hanging.
                var spins = 0
                while callerChunks.load(ordering: .relaxed) + workerChunks.load(ordering: .relaxed) < chunks, spins < 2_000_000_000 {
                    spins += 1
                }
            }
        }
        #expect(callerChunks.load(ordering: .relaxed) + workerChunks.load(ordering: .relaxed) == chunks)
        #expect(workerChunks.load(ordering: .relaxed) <= 1 || callerChunks.load(ordering: .relaxed) == 0)
    }

    /// Workers asleep after a rest (and after the spin, which the 2 ms wait outlasts either way) wake for the next call:
    /// every chunk runs, and the workers take part again (each chunk lasts long enough for a sleeping worker to wake
    /// and claim some). A rest that lost a wake-up would leave the caller alone.
    @Test func restingWorkersWakeForTheNextCall() {
        let pool = ComputePool(threadCount: 2)
        let done = Atomic<Int>(0)
        let byWorker = Atomic<Int>(0)
        for _ in 0..<20 {
            pool.rest()
            usleep(2_000)  // past the spin: the workers are asleep
            pool.run(chunks: 16) { _, thread in
                usleep(200)
                done.add(1, ordering: .relaxed)
                if thread != 0 { byWorker.add(1, ordering: .relaxed) }
            }
        }
        #expect(done.load(ordering: .relaxed) == 20 * 16)
        #expect(byWorker.load(ordering: .relaxed) > 0, "the rested worker never woke")
    }

    @Test func poolsCanBeCreatedAndDroppedRepeatedly() {
        for _ in 0..<20 {
            let pool = ComputePool(threadCount: 3)
            let total = Atomic<Int>(0)
            pool.run(chunks: 6) { chunk, _ in total.add(chunk + 1, ordering: .relaxed) }
            #expect(total.load(ordering: .relaxed) == 21)
        }
    }
}
