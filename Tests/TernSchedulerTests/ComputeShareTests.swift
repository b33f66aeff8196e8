import Foundation
import Testing

@testable import TernScheduler

/// The compute share's cap on prompt chunks: none for a model alone, and for two models with work, steps of the slower
/// one held to the token time of the quicker one's full step.
@Suite struct ComputeShareTests {
    @Test func aSlowerModelsChunksShrinkOnlyWhileTheOtherHasWork() {
        let share = ComputeShare(threads: 1)
        let quick = share.join(fullStepTokens: 64)
        let slow = share.join(fullStepTokens: 64)
        // Alone, whatever its steps took, a model is not capped.
        #expect(share.report(quick, busy: true, step: (2, 0.003)) == nil)
        #expect(share.report(quick, busy: true, step: (64, 0.035)) == nil)
        // The other model has work but its cost per token is not known: a probe of 16 tokens.
        #expect(share.report(slow, busy: true, step: (2, 0.006)) == ComputeShare.manyTokens)
        // 1 ms per token after 6 ms fixed, against the quick model's 64 × 0.5 ms = 32 ms: 26 tokens.
        #expect(share.report(slow, busy: true, step: (16, 0.022)) == 26)
        // The quick model's steps are quicker than the slow one's anyway.
        #expect(share.report(quick, busy: true, step: nil) == nil)
        // Once the quick model is idle, the slow one runs full steps again.
        _ = share.report(quick, busy: false, step: nil)
        #expect(share.report(slow, busy: true, step: nil) == nil)
        // A model whose step costs more than the other's whole token time still reads 16 tokens a step.
        _ = share.report(quick, busy: true, step: nil)
        let large = share.join(fullStepTokens: 64)
        _ = share.report(large, busy: true, step: (2, 0.040))
        #expect(share.report(large, busy: true, step: (16, 0.056)) == ComputeShare.manyTokens)
        // Models that left no longer count, and their places are taken by the next to join.
        share.leave(large)
        share.leave(quick)
        #expect(share.report(slow, busy: true, step: nil) == nil)
        #expect(share.join(fullStepTokens: 64) == quick)
    }

    @Test func turnsRunOneAtATime() async {
        let share = ComputeShare(threads: 1)
        let inside = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<200 {
                        share.turn {
                            #expect(inside.add(1) == 1)
                            _ = inside.add(-1)
                        }
                    }
                }
            }
        }
    }
}

/// An integer several threads change under a lock.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    /// Adds `delta` and returns the new value.
    func add(_ delta: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += delta
        return value
    }
}
