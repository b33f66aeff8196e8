import Dispatch

/// A fixed set of worker threads that run one data-parallel body at a time.
///
/// PLACEHOLDER: to be replaced by a persistent spin-then-sleep pool (DESIGN.md §3).
public final class ComputePool: @unchecked Sendable {
    /// Number of threads that share each call, the caller included.
    public let threadCount: Int

    /// Creates a pool of `threadCount` threads (at least 1).
    public init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
    }

    /// Runs `body(thread)` once for each `thread` in `0..<threadCount`, in parallel, and returns when all are done.
    public func run(_ body: (Int) -> Void) {
        if threadCount == 1 {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { body in
            let unchecked = UncheckedBody(body: body)
            DispatchQueue.concurrentPerform(iterations: threadCount) { unchecked.body($0) }
        }
    }

    /// The share of `0..<count` that `thread` of this pool works on.
    @inline(__always)
    public func range(_ count: Int, thread: Int) -> Range<Int> {
        let per = (count + threadCount - 1) / threadCount
        return min(count, thread * per)..<min(count, (thread + 1) * per)
    }
}

private struct UncheckedBody: @unchecked Sendable {
    let body: (Int) -> Void
}
