/// Finds special-token strings in text before BPE, the way llama.cpp partitions it.
///
/// llama.cpp takes the special tokens longest first and, for each, splits every still-unclaimed stretch of text on
/// its occurrences (left to right, non-overlapping). This finds all occurrences in one scan and then claims them in
/// that same order, which gives the same partition.
struct SpecialTokenMatcher: Sendable {
    /// A piece of the partitioned text.
    enum Fragment: Equatable {
        /// A byte range still to be pre-tokenized and merged.
        case text(Range<Int>)
        /// A special token found in the text.
        case token(Int32)
    }

    private struct Candidate: Sendable {
        var id: Int32
        var bytes: [UInt8]
        /// Control and unknown tokens are matched only when special tokens are parsed; user-defined ones always.
        var needsParseSpecial: Bool
    }

    /// Longest first; equal lengths by id.
    private let candidates: [Candidate]
    /// Indices into `candidates` by first byte.
    private let candidatesByFirstByte: [[Int]]

    init(tokens: [String], types: [TokenType]) {
        var list: [Candidate] = []
        for (index, type) in types.enumerated() where type == .control || type == .userDefined || type == .unknown {
            let bytes = Array(tokens[index].utf8)
            if !bytes.isEmpty { list.append(Candidate(id: Int32(index), bytes: bytes, needsParseSpecial: type != .userDefined)) }
        }
        list.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        candidates = list
        var byFirst = [[Int]](repeating: [], count: 256)
        for (order, candidate) in list.enumerated() { byFirst[Int(candidate.bytes[0])].append(order) }
        candidatesByFirstByte = byFirst
    }

    /// Splits `bytes` into text ranges and special tokens, in order.
    func partition(_ bytes: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        // (candidate order, start) of every occurrence.
        var occurrences: [(order: Int, start: Int)] = []
        for start in 0..<bytes.count {
            for order in candidatesByFirstByte[Int(bytes[start])] {
                let candidate = candidates[order]
                if candidate.needsParseSpecial && !parseSpecial { continue }
                if matches(candidate.bytes, in: bytes, at: start) { occurrences.append((order, start)) }
            }
        }
        guard !occurrences.isEmpty else { return bytes.isEmpty ? [] : [.text(0..<bytes.count)] }
        occurrences.sort { $0.order != $1.order ? $0.order < $1.order : $0.start < $1.start }
        var claimed = [Bool](repeating: false, count: bytes.count)
        var accepted: [(start: Int, end: Int, id: Int32)] = []
        for occurrence in occurrences {
            let candidate = candidates[occurrence.order]
            let range = occurrence.start..<occurrence.start + candidate.bytes.count
            if range.contains(where: { claimed[$0] }) { continue }
            for index in range { claimed[index] = true }
            accepted.append((range.lowerBound, range.upperBound, candidate.id))
        }
        accepted.sort { $0.start < $1.start }
        var fragments: [Fragment] = []
        var cursor = 0
        for match in accepted {
            if cursor < match.start { fragments.append(.text(cursor..<match.start)) }
            fragments.append(.token(match.id))
            cursor = match.end
        }
        if cursor < bytes.count { fragments.append(.text(cursor..<bytes.count)) }
        return fragments
    }

    private func matches(_ needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        guard start + needle.count <= bytes.count else { return false }
        for offset in 1..<needle.count where bytes[start + offset] != needle[offset] { return false }
        return true
    }
}
