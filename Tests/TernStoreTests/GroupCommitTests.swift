import Foundation
import Synchronization
import Testing

@testable import TernStore

@Suite struct GroupCommitTests {
    /// What a writer saw: the batches, in order.
    final class Written: Sendable {
        let batches = Mutex<[[Int]]>([])
        var all: [Int] { batches.withLock { $0.flatMap { $0 } } }
    }

    @Test func concurrentItemsShareWritesAndEachWaitsForItsOwn() async throws {
        let written = Written()
        let commit = GroupCommit<Int>(maxBatch: 64) { batch in
            try await Task.sleep(for: .milliseconds(2))  // a disk sync
            written.batches.withLock { $0.append(batch) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for item in 0..<300 {
                group.addTask {
                    try await commit.submit(item)
                    // Returned only once the item was written.
                    #expect(written.all.contains(item))
                }
            }
            try await group.waitForAll()
        }
        #expect(written.all.sorted() == Array(0..<300))
        let batches = written.batches.withLock { $0 }
        #expect(batches.count < 100, "\(batches.count) writes for 300 items")
        #expect(batches.allSatisfy { $0.count <= 64 })
    }

    @Test func aFailedWriteFailsItsBatchAndTheNextOneStillRuns() async throws {
        struct DiskFull: Error {}
        let attempts = Mutex(0)
        let commit = GroupCommit<Int>(maxBatch: 8) { _ in
            let attempt = attempts.withLock {
                $0 += 1
                return $0
            }
            if attempt == 1 { throw DiskFull() }
        }
        await #expect(throws: DiskFull.self) { try await commit.submit(1) }
        try await commit.submit(2)
        #expect(attempts.withLock { $0 } == 2)
    }
}
