import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Stops accepting while the process is close to its open-file limit, or after an accept failed for want of a
/// descriptor or buffer.
///
/// On the listening socket's pipeline, it sees each `read` (one per accept: the listener reads one connection at a
/// time) and holds it while the lowest free descriptor, which `accept` would return, is within ``reserve`` of the
/// soft limit, trying again after `delay`. So the database, upstream connections and the runtime keep descriptors to
/// work with: libdispatch ends the process when it cannot open a file under `/proc`. Descriptors are handed out
/// lowest first, so a lowest free one of `n` means at least `n` are open; when closed ones leave holes below open ones
/// it says less, and the reserve is a margin, not a promise: others may open descriptors between two accepts.
///
/// An accept that fails (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) leaves NIO's read pending and the socket registered,
/// so NIO would retry `accept()` in a tight loop without another `read`: then reading is turned off, and back on after
/// `delay` once the limit leaves room.
final class AcceptPauseHandler: ChannelDuplexHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Never
    typealias OutboundOut = Never

    /// Descriptors left to everything but new client connections.
    static let reserve = 32

    private let delay: TimeAmount
    private let shortage: () -> String?
    private let onPause: @Sendable (String) -> Void
    private var waiting = false
    /// Whether this handler turned the listener's reading off (after a failed accept), to turn back on.
    private var turnedReadingOff = false
    private var lastReported: NIODeadline?

    /// - Parameters:
    ///   - shortage: why not to accept now, or nil; the process's descriptors by default.
    ///   - onPause: told why accepting pauses (to log it), at most once a minute.
    init(
        delay: TimeAmount = .milliseconds(250), shortage: @escaping () -> String? = AcceptPauseHandler.descriptorShortage,
        onPause: @escaping @Sendable (String) -> Void
    ) {
        self.delay = delay
        self.shortage = shortage
        self.onPause = onPause
    }

    func read(context: ChannelHandlerContext) {
        guard !waiting else { return }
        if let shortage = shortage() { return pause(context, reason: shortage) }
        context.read()
    }

    /// Handles the shortages itself (not passed on: NIO's own backoff would hold accepting for a second more, and the
    /// server would log every failed accept); passes on other errors.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode) else {
            return context.fireErrorCaught(error)
        }
        guard !turnedReadingOff, let options = context.channel.syncOptions else { return }
        turnedReadingOff = true
        try? options.setOption(ChannelOptions.autoRead, value: false)
        if !waiting { pause(context, reason: "out of file descriptors or buffers (\(error)); accepting paused") }
    }

    /// Waits `delay`, then accepts again if the limit leaves room, or waits again.
    private func pause(_ context: ChannelHandlerContext, reason: String) {
        waiting = true
        let now = context.eventLoop.now
        if lastReported.map({ now - $0 > .minutes(1) }) ?? true {
            lastReported = now
            onPause(reason)
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = bound.value
            handler.waiting = false
            guard context.channel.isActive else { return }
            guard handler.turnedReadingOff else { return handler.read(context: context) }
            if let shortage = handler.shortage() { return handler.pause(context, reason: shortage) }
            handler.turnedReadingOff = false
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        }
    }

    /// Why not to accept now: the process is within ``reserve`` descriptors of its soft limit. Nil when it is not.
    static func descriptorShortage() -> String? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let soft = Int(clamping: limit.rlim_cur)
        // The lowest free descriptor is what a duplicate of descriptor 0 gets (0 itself when that is closed); -1 when
        // there is none.
        var lowest = fcntl(0, F_DUPFD_CLOEXEC, 0)
        if lowest >= 0 { closeDescriptor(lowest) } else if errno == EBADF { lowest = 0 }
        guard lowest < 0 || Int(lowest) + reserve >= soft else { return nil }
        let open = lowest < 0 ? "all \(soft)" : "at least \(lowest) of \(soft)"
        return "nearly out of file descriptors (\(open) open); accepting paused until some close"
    }
}

/// `close`, which inside a channel handler names the handler's own method.
private func closeDescriptor(_ descriptor: Int32) { close(descriptor) }
