/// Splits text into words before BPE merges run, as llama.cpp does for each `tokenizer.ggml.pre` value.
///
/// A pre-tokenizer is a list of passes; each pass refines the pieces of the previous one (llama.cpp's list of regexes,
/// applied in order). The passes are written by hand over Unicode scalars with their general categories.
struct PreTokenizer: Sendable {
    /// One splitting step.
    enum Pass: Sendable, Equatable {
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
        case gpt2
        /// `\p{N}`: every number scalar becomes a piece of its own.
        case isolateNumbers
    }

    /// The `tokenizer.ggml.pre` name this was built from.
    let name: String
    /// The passes, applied in order.
    let passes: [Pass]

    /// The pre-tokenizer llama.cpp uses for `name`.
    init(name: String) throws(TokenizerError) {
        self.name = name
        switch name {
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b":
            passes = [.isolateNumbers, .gpt2]
        case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de", "jina-v2-code",
            "roberta-bpe":
            passes = [.gpt2]
        default:
            throw TokenizerError(.unsupportedPreTokenizer, "unsupported pre-tokenizer '\(name)'")
        }
    }

    /// Byte ranges of the words of `bytes`, which must be valid UTF-8; the ranges cover the input in order.
    func split(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        let text = ScalarText(bytes)
        var pieces = text.count > 0 ? [0..<text.count] : []
        for pass in passes {
            var refined: [Range<Int>] = []
            refined.reserveCapacity(pieces.count * 2)
            for piece in pieces {
                switch pass {
                case .gpt2: text.splitGPT2(piece, into: &refined)
                case .isolateNumbers: text.isolateNumbers(piece, into: &refined)
                }
            }
            pieces = refined
        }
        return pieces.map { text.byteOffsets[$0.lowerBound]..<text.byteOffsets[$0.upperBound] }
    }
}
