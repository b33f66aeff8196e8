/// Finds special-token strings in text before BPE, the way llama.cpp partitions it.
///
/// llama.cpp takes the special tokens longest first and, for each, splits every still-unclaimed stretch of text on
/// its occurrences (left to right, non-overlapping). This finds all occurrences in one scan and then claims them in
/// that same order, which gives the same partition. Some models' special tokens also swallow the whitespace beside
/// them (llama.cpp's `LSTRIP`/`RSTRIP` attributes); that whitespace is claimed with the token.
struct SpecialTokenMatcher: Sendable {
    /// A piece of the partitioned text.
    enum Fragment: Equatable {
        /// A byte range still to be pre-tokenized and merged.
        case text(Range<Int>)
        /// A special token found in the text.
        case token(Int32)
    }

    /// Which neighbouring whitespace a special token removes.
    struct Strip: OptionSet, Sendable {
        let rawValue: UInt8
        /// Whitespace before the token.
        static let left = Strip(rawValue: 1)
        /// Whitespace after the token.
        static let right = Strip(rawValue: 2)
    }

    private struct Candidate: Sendable {
        var id: Int32
        var bytes: [UInt8]
        /// Control and unknown tokens are matched only when special tokens are parsed; user-defined ones always.
        var needsParseSpecial: Bool
        var strip: Strip
    }

    /// Longest first; equal lengths by id.
    private let candidates: [Candidate]
    /// Indices into `candidates` by first byte.
    private let candidatesByFirstByte: [[Int]]

    init(tokens: [String], types: [TokenType], strip: (String) -> Strip = { _ in [] }) {
        var list: [Candidate] = []
        for (index, type) in types.enumerated() where type == .control || type == .userDefined || type == .unknown {
            let bytes = Array(tokens[index].utf8)
            if !bytes.isEmpty {
                list.append(
                    Candidate(id: Int32(index), bytes: bytes, needsParseSpecial: type != .userDefined, strip: strip(tokens[index])))
            }
        }
        list.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        candidates = list
        var byFirst = [[Int]](repeating: [], count: 256)
        for (order, candidate) in list.enumerated() { byFirst[Int(candidate.bytes[0])].append(order) }
        candidatesByFirstByte = byFirst
    }

    /// llama.cpp's per-model whitespace stripping, by `general.name` and `tokenizer.ggml.pre`.
    static func stripRule(modelName: String?, preTokenizer: String?) -> (String) -> Strip {
        let name = modelName?.lowercased() ?? ""
        if name.contains("phi-3") || name.contains("phi3") {
            // Every special token eats the whitespace after it, except these.
            return { ["<unk>", "<s>", "<|endoftext|>"].contains($0) ? [] : .right }
        }
        if let preTokenizer, ["jina-v2-de", "jina-v2-es", "jina-v2-code"].contains(preTokenizer) {
            return { $0 == "<mask>" ? .left : [] }
        }
        if name.contains("modern-bert") {
            return { $0 == "[MASK]" ? .left : [] }
        }
        return { _ in [] }
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
        // Each accepted token with the stretch it claims (itself and any whitespace it strips).
        var accepted: [(claim: Range<Int>, id: Int32)] = []
        for occurrence in occurrences {
            let candidate = candidates[occurrence.order]
            let range = occurrence.start..<occurrence.start + candidate.bytes.count
            if range.contains(where: { claimed[$0] }) { continue }
            var claim = range
            if candidate.strip.contains(.left) {
                while claim.lowerBound > 0 && !claimed[claim.lowerBound - 1] && Self.isSpace(bytes[claim.lowerBound - 1]) {
                    claim = claim.lowerBound - 1..<claim.upperBound
                }
            }
            if candidate.strip.contains(.right) {
                while claim.upperBound < bytes.count && !claimed[claim.upperBound] && Self.isSpace(bytes[claim.upperBound]) {
                    claim = claim.lowerBound..<claim.upperBound + 1
                }
            }
            for index in claim { claimed[index] = true }
            accepted.append((claim, candidate.id))
        }
        accepted.sort { $0.claim.lowerBound < $1.claim.lowerBound }
        var fragments: [Fragment] = []
        var cursor = 0
        for match in accepted {
            if cursor < match.claim.lowerBound { fragments.append(.text(cursor..<match.claim.lowerBound)) }
            fragments.append(.token(match.id))
            cursor = match.claim.upperBound
        }
        if cursor < bytes.count { fragments.append(.text(cursor..<bytes.count)) }
        return fragments
    }

    /// C's `isspace`, which llama.cpp strips by.
    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    private func matches(_ needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        guard start + needle.count <= bytes.count else { return false }
        for offset in 1..<needle.count where bytes[start + offset] != needle[offset] { return false }
        return true
    }
}
