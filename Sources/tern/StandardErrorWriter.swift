import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Standard error as `tern serve` writes its log: a line is handed to a thread of its own and the caller goes on.
///
/// Written directly, a log line is a `write` on the thread that logs, most often a request's event loop: when the
/// reader of standard error stops reading (a paused terminal, a pipe whose reader is busy), the pipe fills and that
/// write blocks the loop, and with it every connection the loop serves (a server whose output nobody read stopped
/// answering after 235 requests). Here only the writer thread waits. Lines that find more than `limit` bytes already
/// waiting are dropped and counted, and the count is written once the reader catches up.
final class StandardErrorWriter: @unchecked Sendable {
    /// The process's writer, started on first use.
    static let shared = StandardErrorWriter()

    /// How long the writer lets a batch gather after its first line.
    private static let batchMicroseconds: UInt32 = 5_000

    private let limit: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var pending: [UInt8] = []
    private var dropped = 0
    private var writing = false

    init(limit: Int = 1 << 20) {
        self.limit = limit
        pending.reserveCapacity(64 << 10)
        let thread = Thread { [unowned self] in self.drain() }
        thread.name = "tern-log"
        thread.start()
    }

    /// Queues `line` (which ends with its newline) for standard error, or drops it when the queue is full (a line
    /// longer than the limit still goes out alone when nothing else waits).
    func write(_ line: some Collection<UInt8>) {
        condition.lock()
        defer { condition.unlock() }
        guard pending.isEmpty || pending.count + line.count <= limit else {
            dropped += 1
            condition.signal()  // the count is written as soon as the writer can
            return
        }
        // Only the first line of a batch wakes the writer: the lines after it join the batch without a system call.
        let wakes = pending.isEmpty
        pending.append(contentsOf: line)
        if wakes { condition.signal() }
    }

    /// Waits until what was queued so far has been written, for at most `timeout`: before the process exits.
    func flush(timeout: TimeInterval = 2) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !pending.isEmpty || dropped > 0 || writing {
            if !condition.wait(until: deadline) { return }
        }
    }

    private func drain() {
        var chunk: [UInt8] = []
        chunk.reserveCapacity(64 << 10)
        while true {
            condition.lock()
            while pending.isEmpty && dropped == 0 { condition.wait() }
            // Woken by a batch's first line: let the lines of the next few milliseconds join it (one wake-up and one
            // write for all of them, instead of one each on a busy server).
            condition.unlock()
            usleep(Self.batchMicroseconds)
            condition.lock()
            swap(&chunk, &pending)
            let lost = dropped
            dropped = 0
            writing = true
            condition.unlock()
            Self.writeAll(chunk)
            chunk.removeAll(keepingCapacity: true)
            if lost > 0 {
                Self.writeAll(Array("tern: \(lost) log lines dropped: standard error was not read as fast as they came\n".utf8))
            }
            condition.lock()
            writing = false
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Writes all of `bytes` to file descriptor 2, waiting as long as the reader makes it wait.
    private static func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                #if canImport(Glibc)
                    let written = Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                #else
                    let written = Darwin.write(2, raw.baseAddress! + offset, raw.count - offset)
                #endif
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    // Standard error was left non-blocking by whoever opened it: wait until it takes more.
                    var ready = pollfd(fd: 2, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&ready, 1, -1)
                } else {
                    return  // standard error is closed: nothing more can be said there
                }
            }
        }
    }
}

/// The text stream that `StreamLogHandler` writes its lines to, through ``StandardErrorWriter``.
struct StandardErrorStream: TextOutputStream, Sendable {
    mutating func write(_ string: String) { StandardErrorWriter.shared.write(string.utf8) }
}
