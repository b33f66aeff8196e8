import Logging
import Synchronization

/// A log handler that keeps every line (message and metadata) in memory, for tests of what the server logs.
struct LogCapture: LogHandler {
    /// The lines of every logger made from one capture.
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    let lines: Lines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.append("\(event.level) \(event.message) \(merged)")
    }

    /// A logger at `trace` (everything) whose lines go to `lines`.
    static func logger(_ lines: Lines) -> Logger {
        Logger(label: "tern-test") { _ in LogCapture(lines: lines) }
    }
}
