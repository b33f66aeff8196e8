/// Cuts a byte stream of Server-Sent Events into whole events (each ending in a blank line), however the bytes were
/// split into chunks on the way.
struct EventStreamSplitter {
    private var pending: [UInt8] = []

    /// The whole events `bytes` completes, each with its blank line; the rest waits for more bytes.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [[UInt8]] {
        pending.append(contentsOf: bytes)
        var events: [[UInt8]] = []
        var start = 0
        var index = 0
        while index + 1 < pending.count {
            // A blank line: "\n\n", or "\r\n\r\n".
            if pending[index] == 0x0A, pending[index + 1] == 0x0A {
                events.append(Array(pending[start...index + 1]))
                start = index + 2
                index = start
            } else if pending[index] == 0x0A, index + 2 < pending.count, pending[index + 1] == 0x0D, pending[index + 2] == 0x0A {
                events.append(Array(pending[start...index + 2]))
                start = index + 3
                index = start
            } else {
                index += 1
            }
        }
        pending.removeFirst(start)
        return events
    }

    /// What is left without a blank line after it (a stream that ended without one).
    mutating func finish() -> [UInt8] {
        defer { pending = [] }
        return pending
    }

    /// The JSON text of an event's `data:` lines; nil for an event without data.
    static func data(of event: [UInt8]) -> [UInt8]? {
        var data: [UInt8]?
        for line in event.split(separator: 0x0A, omittingEmptySubsequences: true) {
            var line = Array(line)
            if line.last == 0x0D { line.removeLast() }
            guard line.starts(with: Array("data:".utf8)) else { continue }
            var value = line.dropFirst(5)
            if value.first == 0x20 { value = value.dropFirst() }
            if data == nil { data = Array(value) } else { data! += [0x0A] + value }
        }
        return data
    }
}
