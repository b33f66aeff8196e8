/// The raw bytes each token decodes to, as llama.cpp's `token_to_piece` renders them.
///
/// Normal tokens are decoded from GPT-2's byte alphabet (byte-level BPE) or have `▁` turned back into spaces
/// (SentencePiece); `<0xXX>` byte tokens are their byte; control, unknown and user-defined tokens are their text;
/// unused and undefined tokens are nothing. Tool call markers (Mistral's, Llama 3.1's `<|python_tag|>`) are control
/// tokens that are rendered all the same: a call is read from the answer's text (llama.cpp keeps them in the text for
/// the same reason).
struct TokenPieces: Sendable {
    /// The control tokens rendered as text whatever `renderSpecial` says.
    static let toolCallMarkers: Set<String> = ["[TOOL_CALLS]", "[ARGS]", "[CALL_ID]", "<|python_tag|>"]

    /// Every token's bytes, concatenated; token `i` is `bytes[offsets[i]..<offsets[i + 1]]`.
    private let bytes: [UInt8]
    private let offsets: [Int]
    /// Tokens whose bytes are produced only when special tokens are rendered (control, unknown).
    private let isSpecial: [Bool]
    /// The most bytes any one token stands for.
    let longest: Int

    init(tokens: [String], types: [TokenType], byteLevel: Bool) {
        var bytes: [UInt8] = []
        var offsets = [0]
        var special: [Bool] = []
        offsets.reserveCapacity(tokens.count + 1)
        special.reserveCapacity(tokens.count)
        for (text, type) in zip(tokens, types) {
            switch type {
            case .normal where byteLevel: bytes.append(contentsOf: ByteLevelMapping.decode(text))
            case .normal: bytes.append(contentsOf: Metaspace.unescape(text))
            case .control, .unknown, .userDefined: bytes.append(contentsOf: text.utf8)
            case .byte: if let byte = ByteToken.byte(text) { bytes.append(byte) }
            case .unused, .undefined: break
            }
            offsets.append(bytes.count)
            special.append((type == .control && !Self.toolCallMarkers.contains(text)) || type == .unknown)
        }
        self.bytes = bytes
        self.offsets = offsets
        isSpecial = special
        longest = max(1, zip(offsets.dropFirst(), offsets).map { $0 - $1 }.max() ?? 1)
    }

    /// Appends the bytes of token `id`, which must be in the vocabulary; when `stripSpace`, without a leading space.
    func append(_ id: Int, renderSpecial: Bool, stripSpace: Bool = false, to out: inout [UInt8]) {
        if isSpecial[id] && !renderSpecial { return }
        var start = offsets[id]
        if stripSpace && start < offsets[id + 1] && bytes[start] == 0x20 { start += 1 }
        out.append(contentsOf: bytes[start..<offsets[id + 1]])
    }
}
