import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Stops accepting for a moment when the process is out of file descriptors (or the kernel out of buffers).
///
/// On the listening socket's pipeline. At `EMFILE` NIO keeps the listening socket registered for readability and
/// retries `accept()` in a tight loop, burning a core while no new client gets in; turning reading off unregisters it,
/// and turning it back on after `delay` tries again, by which time connections may have closed.
final class AcceptPauseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let delay: TimeAmount
    private let onPause: @Sendable (IOError) -> Void
    private var paused = false
    private var lastReported: NIODeadline?

    /// - Parameter onPause: told when accepting pauses (to log it), at most once a minute.
    init(delay: TimeAmount = .milliseconds(250), onPause: @escaping @Sendable (IOError) -> Void) {
        self.delay = delay
        self.onPause = onPause
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode), !paused,
            let options = context.channel.syncOptions
        {
            paused = true
            if lastReported.map({ .now() - $0 > .minutes(1) }) ?? true {
                lastReported = .now()
                onPause(error)
            }
            try? options.setOption(ChannelOptions.autoRead, value: false)
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let channel = context.channel
            context.eventLoop.scheduleTask(in: delay) {
                handler.value.paused = false
                try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
            }
        }
        context.fireErrorCaught(error)
    }
}
