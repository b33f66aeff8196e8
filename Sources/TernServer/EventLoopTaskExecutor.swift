import NIOCore

/// Runs a task's jobs on one NIO event loop.
///
/// A request's task prefers the event loop of its connection (``AccessLogMiddleware``), so that when it resumes after a
/// wait on another thread (the ledger's writer, the database, the compute threads) it resumes where its response is
/// written, instead of on another thread that would then hand the write over to the connection's loop.
final class EventLoopTaskExecutor: TaskExecutor {
    /// The executor the current request's task prefers, for the tasks it starts outside its own structure (which do
    /// not inherit a preference).
    @TaskLocal static var current: EventLoopTaskExecutor?

    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Runs `operation` on `loop`'s executor, and as ``current``.
    static func preferring<Value>(_ loop: any EventLoop, _ operation: () async throws -> Value) async throws -> Value {
        let executor = EventLoopTaskExecutor(loop)
        return try await $current.withValue(executor) {
            try await withTaskExecutorPreference(executor, operation: operation)
        }
    }
}
