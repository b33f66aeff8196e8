public import TernTokenizer

/// A model's vocabulary as the grammar sees it: the bytes of every token that can appear inside constrained text,
/// in a trie, and the end-of-generation tokens. Built once per model.
///
/// Control tokens (chat markers, end of turn) are never part of constrained text, except those the tokenizer always
/// renders (Mistral's tool call markers and Llama 3.1's `<|python_tag|>`, which the tool call grammars read);
/// end-of-generation tokens are allowed exactly when the document is complete.
public final class TokenVocabulary: Sendable {
    /// The number of logits per step (may exceed the tokenizer's vocabulary; the extra ids are never allowed).
    public let logitCount: Int
    /// The tokens that end generation.
    public let endOfGeneration: [Int32]
    /// Token `t`'s bytes are `bytes[offsets[t]..<offsets[t + 1]]`; empty for tokens never allowed in text.
    let offsets: [Int32]
    let bytes: [UInt8]
    let trie: TokenTrie

    /// Indexes `tokenizer`'s vocabulary for a model with `logitCount` logits per step.
    public init(tokenizer: Tokenizer, logitCount: Int) {
        self.logitCount = logitCount
        endOfGeneration = tokenizer.endOfGenerationTokenIDs.filter { Int($0) < logitCount }
        var offsets: [Int32] = [0]
        var bytes: [UInt8] = []
        let count = min(tokenizer.vocabularySize, logitCount)
        offsets.reserveCapacity(count + 1)
        for id in 0..<Int32(count) {
            switch tokenizer.tokenType(id) {
            case .normal, .byte, .userDefined, .undefined, .control:
                // A control token has bytes here only when it is always rendered.
                if !tokenizer.isEndOfGeneration(id) { tokenizer.appendBytes(of: id, renderSpecial: false, to: &bytes) }
            case .unknown, .unused:
                break
            }
            offsets.append(Int32(bytes.count))
        }
        self.offsets = offsets
        self.bytes = bytes
        trie = TokenTrie(offsets: offsets, bytes: bytes)
    }

    /// The bytes of token `id` (empty when it is never allowed in constrained text).
    func tokenBytes(_ id: Int32) -> ArraySlice<UInt8> {
        guard Int(id) + 1 < offsets.count else { return [] }
        return bytes[Int(offsets[Int(id)])..<Int(offsets[Int(id) + 1])]
    }

    /// How many 64-bit words a mask over the logits has.
    var maskWords: Int { (logitCount + 63) / 64 }
}

/// The tokens' bytes as a trie in flat arrays: node 0 is the root; a node's children are
/// `childBytes/childNodes[childStart[n]..<childStart[n + 1]]`, the tokens ending at it `tokenIDs[tokenStart[n]..<tokenStart[n + 1]]`.
///
/// Nodes are numbered in depth-first order, so a subtree is the nodes `n..<subtreeEnd[n]` and its tokens the run
/// `tokenIDs[tokenStart[n]..<tokenStart[subtreeEnd[n]]]`.
struct TokenTrie: Sendable {
    let childStart: [Int32]
    let childBytes: [UInt8]
    let childNodes: [Int32]
    let tokenStart: [Int32]
    let tokenIDs: [Int32]
    let subtreeEnd: [Int32]
    /// When every byte below node `n` is ``plainBytes``: the depth of the subtree (0 for a leaf); else −1.
    let plainHeight: [Int16]

    /// Printable ASCII that a JSON string holds as it is (no `"`, no `\`): the bytes most tokens are made of.
    static let plainBytes: ByteSet = {
        var set = ByteSet(0x20...0x7E)
        set.remove(0x22)
        set.remove(0x5C)
        return set
    }()

    init(offsets: [Int32], bytes: [UInt8]) {
        // Sort the tokens by their bytes: each subtree is then a contiguous run, built in one pass.
        var order = (0..<Int32(offsets.count - 1)).filter { offsets[Int($0)] < offsets[Int($0) + 1] }
        func token(_ id: Int32) -> ArraySlice<UInt8> { bytes[Int(offsets[Int(id)])..<Int(offsets[Int(id) + 1])] }
        order.sort { a, b in
            let x = token(a)
            let y = token(b)
            return x.lexicographicallyPrecedes(y) || (x == y && a < b)
        }
        var childStart: [Int32] = []
        var childBytes: [UInt8] = []
        var childNodes: [Int32] = []
        var tokenStart: [Int32] = []
        var tokenIDs: [Int32] = []
        // Nodes are numbered in depth-first order; children lists are filled after numbering.
        var children: [[(UInt8, Int32)]] = [[]]
        var tokensAt: [[Int32]] = [[]]
        var path: [Int32] = [0]  // node at each depth of the previous token
        var previous: ArraySlice<UInt8> = []
        for id in order {
            let current = token(id)
            var shared = 0
            while shared < min(previous.count, current.count)
                && previous[previous.startIndex + shared] == current[current.startIndex + shared]
            {
                shared += 1
            }
            path.removeSubrange((shared + 1)...)
            for depth in shared..<current.count {
                let node = Int32(children.count)
                children.append([])
                tokensAt.append([])
                children[Int(path[depth])].append((current[current.startIndex + depth], node))
                path.append(node)
            }
            tokensAt[Int(path[current.count])].append(id)
            previous = current
        }
        for node in children.indices {
            childStart.append(Int32(childBytes.count))
            for (byte, child) in children[node] {
                childBytes.append(byte)
                childNodes.append(child)
            }
            tokenStart.append(Int32(tokenIDs.count))
            tokenIDs += tokensAt[node]
        }
        childStart.append(Int32(childBytes.count))
        tokenStart.append(Int32(tokenIDs.count))
        var subtreeEnd = [Int32](repeating: 0, count: children.count)
        var plainHeight = [Int16](repeating: 0, count: children.count)
        for node in children.indices.reversed() {
            subtreeEnd[node] = children[node].last.map { subtreeEnd[Int($0.1)] } ?? Int32(node + 1)
            var height: Int16 = 0
            for (byte, child) in children[node] {
                guard height >= 0, Self.plainBytes.contains(byte), plainHeight[Int(child)] >= 0 else {
                    height = -1
                    break
                }
                height = max(height, plainHeight[Int(child)] + 1)
            }
            plainHeight[node] = height
        }
        self.subtreeEnd = subtreeEnd
        self.plainHeight = plainHeight
        self.childStart = childStart
        self.childBytes = childBytes
        self.childNodes = childNodes
        self.tokenStart = tokenStart
        self.tokenIDs = tokenIDs
    }
}
