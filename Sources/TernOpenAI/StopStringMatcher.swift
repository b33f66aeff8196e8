/// Applies stop strings to text that arrives in pieces (one detokenized token at a time).
///
/// Text that cannot be the start of a stop string is released at once; a tail that might
/// begin one is held back until the next piece decides. When a stop string completes, the
/// text before it is released, the stop string itself and everything after it are dropped,
/// and the matcher is finished. Matching is exact on Unicode scalars (byte-wise on UTF-8), so
/// a stop string can span pieces at any scalar boundary.
///
/// Among several stop strings, the one that completes first in the text wins; if two complete
/// at the same place, the longer (earlier-starting) one wins. This makes the result the same
/// however the text is split into pieces.
///
/// ```swift
/// var matcher = StopStringMatcher(stops: request.sampling.stop)
/// let step = matcher.feed(piece)
/// send(step.text)
/// if step.stopped != nil { finish(.stop) }
/// // at the end of generation without a stop:
/// send(matcher.finish())
/// ```
public struct StopStringMatcher: Sendable {
    /// The result of feeding one piece.
    public struct Step: Sendable, Equatable {
        /// Text safe to send now (may be empty).
        public var text: String
        /// The stop string that completed, ending generation.
        public var stopped: String?

        /// Creates a step.
        public init(text: String, stopped: String? = nil) {
            self.text = text
            self.stopped = stopped
        }
    }

    private let stops: [[UInt8]]
    private let stopStrings: [String]
    /// Text received but not yet released; it is a prefix of some stop string.
    private var held: [UInt8] = []
    /// Whether a stop string completed.
    public private(set) var isStopped = false

    /// Creates a matcher; empty strings are ignored.
    public init(stops: [String]) {
        let kept = stops.filter { !$0.isEmpty }
        stopStrings = kept
        self.stops = kept.map { Array($0.utf8) }
    }

    /// The text currently held back.
    public var heldText: String { String(decoding: held, as: UTF8.self) }

    /// Feeds the next piece. After a stop, further pieces are ignored.
    public mutating func feed(_ piece: String) -> Step {
        guard !isStopped else { return Step(text: "") }
        guard !stops.isEmpty else { return Step(text: piece) }
        let checkedBefore = held.count
        var buffer = held
        buffer.append(contentsOf: piece.utf8)
        if let match = firstCompletedStop(in: buffer, endingAfter: checkedBefore) {
            isStopped = true
            held.removeAll()
            return Step(text: String(decoding: buffer[..<match.start], as: UTF8.self), stopped: stopStrings[match.stop])
        }
        let keep = longestSuffixThatStartsAStop(buffer)
        held = Array(buffer[(buffer.count - keep)...])
        return Step(text: String(decoding: buffer[..<(buffer.count - keep)], as: UTF8.self))
    }

    /// Ends the text: releases whatever was held back (nothing after a stop).
    public mutating func finish() -> String {
        defer { held.removeAll() }
        return isStopped ? "" : heldText
    }

    /// The stop with the earliest end past `minimumEnd`; on a tie, the longest.
    private func firstCompletedStop(in buffer: [UInt8], endingAfter minimumEnd: Int) -> (start: Int, stop: Int)? {
        guard buffer.count > minimumEnd else { return nil }
        for end in (minimumEnd + 1)...buffer.count {
            var best: (start: Int, stop: Int)?
            for (index, stop) in stops.enumerated() where stop.count <= end {
                let start = end - stop.count
                guard buffer[start..<end].elementsEqual(stop) else { continue }
                if best == nil || start < best!.start { best = (start, index) }
            }
            if let best { return best }
        }
        return nil
    }

    /// The length of the longest suffix of `buffer` that is a proper prefix of a stop string.
    private func longestSuffixThatStartsAStop(_ buffer: [UInt8]) -> Int {
        let longestStop = stops.map(\.count).max() ?? 0
        var length = min(buffer.count, longestStop - 1)
        while length > 0 {
            let suffix = buffer[(buffer.count - length)...]
            if stops.contains(where: { $0.count > length && $0.starts(with: suffix) }) { return length }
            length -= 1
        }
        return 0
    }
}
