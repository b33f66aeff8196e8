import CTernKernels

/// A fixed set of worker threads that share data-parallel calls, one call at a time.
///
/// A call's work is cut into chunks that every thread, the caller included, claims from one atomic counter: a
/// worker that the OS has descheduled on a busy machine holds up a call by at most one chunk, because the others
/// take the rest. Workers wait by spinning (with a pause instruction) for about a millisecond after each call, then
/// sleep on a condition variable, so back-to-back calls cost well under a microsecond of hand-off while an idle pool
/// burns no CPU.
///
/// ```swift
/// let pool = ComputePool(threadCount: 2)
/// pool.forEach(rows) { range, thread in
///     for i in range { work(i, scratch: scratch[thread]) }
/// }
/// ```
///
/// One thread at a time may call the pool; a body must not call the same pool.
public final class ComputePool: @unchecked Sendable {
    /// Number of threads that share each call, the caller included.
    public let threadCount: Int
    /// Chunks per thread in ``forEach(_:alignment:_:)``: enough that a stalled thread's share is picked up by others.
    static let chunksPerThread = 4
    private let pool: OpaquePointer

    /// Creates a pool of `threadCount` threads (at least 1), `threadCount - 1` of them new worker threads.
    public init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
        guard let pool = tern_pool_create(Int32(self.threadCount)) else { fatalError("cannot create compute threads") }
        self.pool = pool
    }

    deinit { tern_pool_destroy(pool) }

    /// Lets the workers sleep until the next call instead of spinning for it (about a millisecond of a core each):
    /// for when no work is coming, so that the cores go to the threads that will bring it.
    public func rest() { tern_pool_rest(pool) }

    /// Runs `body(chunk, thread)` once for every `chunk` in `0..<chunks` (at most 65535), in parallel, and returns when
    /// all are done.
    ///
    /// `thread` (in `0..<threadCount`, 0 being the caller) tells which thread runs the chunk, for per-thread scratch.
    public func run(chunks: Int, _ body: (_ chunk: Int, _ thread: Int) -> Void) {
        precondition(chunks <= 0xFFFF, "at most 65535 chunks per call")
        if chunks <= 0 { return }
        if threadCount == 1 || chunks == 1 {
            for chunk in 0..<chunks { body(chunk, 0) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            var context = escapable
            withUnsafeMutablePointer(to: &context) { pointer in
                tern_pool_run(
                    pool,
                    { raw, first, thread, claim in
                        // One copy of the body per thread and call, not per chunk: a copy retains the closure's
                        // context, and every thread doing that at once bounces its reference count between cores.
                        let body = raw!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee
                        var chunk = first
                        while chunk >= 0 {
                            body(Int(chunk), Int(thread))
                            chunk = tern_pool_next(claim)
                        }
                    }, pointer, Int32(chunks))
            }
        }
    }

    /// Runs `body(range, thread)` over consecutive ranges that together cover `0..<count` exactly once.
    ///
    /// Ranges start at multiples of `alignment` (a kernel's row tile, say); there are about four per thread.
    public func forEach(_ count: Int, alignment: Int = 1, _ body: (_ range: Range<Int>, _ thread: Int) -> Void) {
        if count <= 0 { return }
        let size = chunkSize(count, alignment: alignment)
        run(chunks: (count + size - 1) / size) { chunk, thread in
            body(chunk * size..<min(count, (chunk + 1) * size), thread)
        }
    }

    /// Length of the ranges ``forEach(_:alignment:_:)`` cuts `0..<count` into.
    func chunkSize(_ count: Int, alignment: Int) -> Int {
        precondition(alignment > 0)
        if threadCount == 1 { return count }
        let pieces = threadCount * Self.chunksPerThread
        let size = (count + pieces - 1) / pieces
        return max(1, (size + alignment - 1) / alignment * alignment, (count + 0xFFFE) / 0xFFFF)
    }
}
