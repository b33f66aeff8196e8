import CTernKernels

/// A fixed set of worker threads that run one data-parallel body at a time.
///
/// Workers are created once and wait by spinning (with a pause instruction) for about a millisecond after each
/// call, then sleep on a condition variable, so back-to-back calls cost well under a microsecond of hand-off while
/// an idle pool burns no CPU. The caller takes part as thread 0.
///
/// ```swift
/// let pool = ComputePool(threadCount: 2)
/// pool.run { thread in
///     for i in pool.range(rows, thread: thread) { work(i) }
/// }
/// ```
///
/// One thread at a time may call ``run(_:)``; the body must not call ``run(_:)`` on the same pool.
public final class ComputePool: @unchecked Sendable {
    /// Number of threads that share each call, the caller included.
    public let threadCount: Int
    private let pool: OpaquePointer

    /// Creates a pool of `threadCount` threads (at least 1), `threadCount - 1` of them new worker threads.
    public init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
        guard let pool = tern_pool_create(Int32(self.threadCount)) else { fatalError("cannot create compute threads") }
        self.pool = pool
    }

    deinit { tern_pool_destroy(pool) }

    /// Runs `body(thread)` once for each `thread` in `0..<threadCount`, in parallel, and returns when all are done.
    ///
    /// `body(0)` runs on the calling thread.
    public func run(_ body: (Int) -> Void) {
        if threadCount == 1 {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            var context = escapable
            withUnsafeMutablePointer(to: &context) { pointer in
                tern_pool_run(
                    pool,
                    { raw, thread in
                        raw!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(thread))
                    }, pointer)
            }
        }
    }

    /// The share of `0..<count` that `thread` of this pool works on: contiguous, sizes differing by at most one.
    @inline(__always)
    public func range(_ count: Int, thread: Int) -> Range<Int> {
        let base = count / threadCount
        let extra = count % threadCount
        let start = thread * base + min(thread, extra)
        return start..<(start + base + (thread < extra ? 1 : 0))
    }
}
