/// Splits text into words before BPE merges run, as llama.cpp does for each `tokenizer.ggml.pre` value.
///
/// A pre-tokenizer is a list of regexes; each splits the pieces the one before it left (llama.cpp's `regex_exprs`).
/// ``families`` is the one table from `tokenizer.ggml.pre` names to those regexes and the settings llama.cpp ties to
/// the same names.
struct PreTokenizer: Sendable {
    /// Names that llama.cpp treats alike: the same regexes and the same settings.
    struct Family: Sendable {
        var names: [String]
        var patterns: [String]
        /// A word that is itself a token becomes that token without merging (llama.cpp's `ignore_merges`).
        var ignoresMerges = false
        /// Whether prompts start with BOS when the file does not say (`tokenizer.ggml.add_bos_token`).
        var addsBOS = false
        /// SentencePiece-style BPE (Gemma 4): spaces become `▁`, merges run on the text's own UTF-8 instead of GPT-2's
        /// byte alphabet, bytes no token covers become `<0xXX>` tokens, a word of newlines that is a token is not
        /// merged, and prompts always start with BOS.
        var escapesSpaces = false
    }

    private static let gpt2 = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"#
    private static let llama3 =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    private static let qwen2 =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    private static let cjk = "[\u{4E00}-\u{9FA5}\u{800}-\u{4E00}\u{AC00}-\u{D7FF}]+"

    /// Every supported `tokenizer.ggml.pre`, as in llama.cpp's `llama_vocab::impl::load` and `llm_tokenizer_bpe`.
    static let families: [Family] = [
        Family(
            names: ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"],
            patterns: [llama3], ignoresMerges: true, addsBOS: true),
        Family(names: ["dbrx", "smaug-bpe"], patterns: [llama3]),
        Family(
            names: ["deepseek-llm"],
            patterns: [
                #"[\r\n]"#,
                // Letters of the cased scripts, as DeepSeek's tokenizer.json lists them (escaped: not NFC-stable).
                "\\s?[A-Za-z\u{B5}\u{C0}-\u{D6}\u{D8}-\u{F6}\u{F8}-\u{1BA}\u{1BC}-\u{1BF}\u{1C4}-\u{293}\u{295}-\u{2AF}"
                    + "\u{370}-\u{373}\u{376}\u{377}\u{37B}-\u{37D}\u{37F}\u{386}\u{388}-\u{38A}\u{38C}\u{38E}-\u{3A1}"
                    + "\u{3A3}-\u{3F5}\u{3F7}-\u{481}\u{48A}-\u{52F}\u{531}-\u{556}\u{10A0}-\u{10C5}\u{13A0}-\u{13F5}"
                    + "\u{13F8}-\u{13FD}\u{1C90}-\u{1CBA}\u{1CBD}-\u{1CBF}\u{1D00}-\u{1D2B}\u{1D6B}-\u{1D77}\u{1D79}-\u{1D9A}"
                    + "\u{1E00}-\u{1F15}\u{1F18}-\u{1F1D}\u{1F20}-\u{1F45}\u{1F48}-\u{1F4D}\u{1F50}-\u{1F57}\u{1F59}\u{1F5B}"
                    + "\u{1F5D}\u{1F5F}-\u{1F7D}\u{1F80}-\u{1FB4}\u{1FB6}-\u{1FBC}\u{1FBE}\u{1FC2}-\u{1FC4}\u{1FC6}-\u{1FCC}"
                    + "\u{1FD0}-\u{1FD3}\u{1FD6}-\u{1FDB}\u{1FE0}-\u{1FEC}\u{1FF2}-\u{1FF4}\u{1FF6}-\u{1FFC}\u{2102}\u{2107}"
                    + "\u{210A}-\u{2113}\u{2115}\u{2119}-\u{211D}\u{2124}\u{2126}\u{2128}\u{212A}-\u{212D}\u{212F}-\u{2134}"
                    + "\u{2139}\u{213C}-\u{213F}\u{2145}-\u{2149}\u{214E}\u{2183}\u{2184}\u{2C00}-\u{2C7B}\u{2C7E}-\u{2CE4}"
                    + "\u{2CEB}-\u{2CEE}\u{2CF2}\u{2CF3}\u{A640}-\u{A66D}\u{A680}-\u{A69B}\u{A722}-\u{A76F}\u{A771}-\u{A787}"
                    + "\u{A78B}-\u{A78E}\u{AB70}-\u{ABBF}\u{FB00}-\u{FB06}\u{FB13}-\u{FB17}\u{FF21}-\u{FF3A}\u{FF41}-\u{FF5A}"
                    + "\u{10400}-\u{1044F}\u{104B0}-\u{104D3}\u{104D8}-\u{104FB}\u{10C80}-\u{10CB2}\u{10CC0}-\u{10CF2}"
                    + "\u{118A0}-\u{118DF}\u{1E900}-\u{1E943}]+",
                "\\s?[!-/:-~\u{FF01}-\u{FF0F}\u{FF1A}-\u{FF5E}\u{2018}-\u{201F}\u{3000}-\u{3002}]+",
                #"\s+$"#,
                cjk,
                #"\p{N}+"#,
            ]),
        Family(names: ["deepseek-coder"], patterns: [#"[\r\n]"#, #"\s?\p{L}+"#, #"\s?\p{P}+"#, cjk, #"\p{N}"#]),
        Family(names: ["falcon"], patterns: [#"[\p{P}\$\+<=>\^~\|`]+"#, gpt2, "[0-9][0-9][0-9]"]),
        Family(
            names: ["starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2"],
            patterns: [#"\p{N}"#, gpt2]),
        Family(
            names: [
                "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum", "modern-bert",
                "jina-v1-en", "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais", "exaone4", "trillion", "granite-docling",
            ],
            patterns: [gpt2]),
        Family(
            names: ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open"],
            patterns: [qwen2]),
        Family(
            names: ["qwen35"],
            patterns: [
                #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
            ]),
        Family(names: ["gemma4", "granite-embed-multi-311m"], patterns: [#"[^\n]+|[\n]+"#], escapesSpaces: true),
        // What llama.cpp falls back to for a BPE vocabulary without `tokenizer.ggml.pre` (old conversions).
        Family(names: ["default"], patterns: [#"[\p{P}\$\+<=>\^~\|]+"#, gpt2, #"\p{N}+"#, "[0-9][0-9][0-9]"]),
    ]

    /// Every supported name, sorted, for error messages.
    static var supportedNames: [String] { families.flatMap(\.names).sorted() }

    /// The `tokenizer.ggml.pre` name this was built from.
    let name: String
    let family: Family
    private let patterns: [SplitPattern]

    /// The pre-tokenizer llama.cpp uses for `name`.
    init(name: String) throws(TokenizerError) {
        guard let family = Self.families.first(where: { $0.names.contains(name) }) else {
            throw TokenizerError(
                .unsupportedPreTokenizer,
                "unsupported pre-tokenizer '\(name)' (supported: \(Self.supportedNames.joined(separator: ", ")))")
        }
        self.name = name
        self.family = family
        var patterns: [SplitPattern] = []
        for source in family.patterns { patterns.append(try SplitPattern(source)) }
        self.patterns = patterns
    }

    /// Byte ranges of the words of `bytes`, which must be valid UTF-8; the ranges cover the input in order.
    func split(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        let text = ScalarText(bytes)
        var pieces = text.count > 0 ? [0..<text.count] : []
        var stack: [SplitPattern.Backtrack] = []
        for pattern in patterns {
            var refined: [Range<Int>] = []
            refined.reserveCapacity(pieces.count * 2)
            for piece in pieces { pattern.split(text, piece, into: &refined, stack: &stack) }
            pieces = refined
        }
        return pieces.map { text.byteOffsets[$0.lowerBound]..<text.byteOffsets[$0.upperBound] }
    }
}
