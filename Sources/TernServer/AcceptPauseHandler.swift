import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Stops accepting while the process is close to its open-file limit, or the kernel out of buffers.
///
/// On the listening socket's pipeline, it sees each `read` (one per accept: the listener reads one connection at a
/// time) and holds it while the lowest free descriptor, which `accept` would return, is within ``reserve`` of the
/// soft limit, trying again after `delay`. So the database, upstream connections and the runtime keep descriptors to
/// work with: libdispatch ends the process when it cannot open a file under `/proc`, and at `EMFILE` NIO would retry
/// `accept()` in a tight loop. Descriptors are handed out lowest first, so a lowest free one of `n` means at least `n`
/// are open; when closed ones leave holes below the open ones it says less, and an accept that fails for want of a
/// descriptor or buffer pauses the listener as well.
final class AcceptPauseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Never
    typealias OutboundOut = Never

    /// Descriptors left to everything but new client connections.
    static let reserve = 32

    private let delay: TimeAmount
    private let onPause: @Sendable (String) -> Void
    private var waiting = false
    private var failure: IOError?
    private var lastReported: NIODeadline?

    /// - Parameter onPause: told why accepting pauses (to log it), at most once a minute.
    init(delay: TimeAmount = .milliseconds(250), onPause: @escaping @Sendable (String) -> Void) {
        self.delay = delay
        self.onPause = onPause
    }

    func read(context: ChannelHandlerContext) {
        guard !waiting else { return }
        guard let reason = reasonToWait() else { return context.read() }
        waiting = true
        failure = nil
        let now = context.eventLoop.now
        if lastReported.map({ now - $0 > .minutes(1) }) ?? true {
            lastReported = now
            onPause(reason)
        }
        let handler = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = handler.value
            handler.waiting = false
            if context.channel.isActive { handler.read(context: context) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode) {
            failure = error
        }
        context.fireErrorCaught(error)
    }

    private func reasonToWait() -> String? {
        if let failure { return "out of file descriptors or buffers (\(failure)); accepting paused" }
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let soft = Int(clamping: limit.rlim_cur)
        // The lowest free descriptor is what a duplicate of descriptor 0 gets (0 itself when that is closed); -1 when
        // there is none.
        var lowest = fcntl(0, F_DUPFD, 0)
        if lowest >= 0 { closeDescriptor(lowest) } else if errno == EBADF { lowest = 0 }
        guard lowest < 0 || Int(lowest) + Self.reserve >= soft else { return nil }
        let open = lowest < 0 ? "all \(soft)" : "at least \(lowest) of \(soft)"
        return "nearly out of file descriptors (\(open) open); accepting paused until some close"
    }
}

/// `close`, which inside a channel handler names the handler's own method.
private func closeDescriptor(_ descriptor: Int32) { close(descriptor) }
