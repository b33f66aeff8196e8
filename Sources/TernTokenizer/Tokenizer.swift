/// Text to token ids and back, matching llama.cpp token for token.
///
/// Built from a ``TokenizerVocabulary`` (or straight from a GGUF file with ``init(gguf:)``). Four kinds of vocabulary
/// are supported, named by `tokenizer.ggml.model`: `gpt2` (byte-level BPE after a pre-tokenizer), `llama`
/// (SentencePiece with scores and byte fallback), `gemma4` (SentencePiece-style BPE) and `bert` (WordPiece, for BERT
/// embedding models). Encoding finds special tokens first (when asked), then encodes the text between them. Decoding
/// maps ids back to raw bytes; ``StreamingDetokenizer`` does it one token at a time.
///
/// ```swift
/// let tokenizer = try Tokenizer(gguf: GGUFFile(path: path))
/// let ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>", parseSpecial: true)
/// let text = tokenizer.decode(ids, renderSpecial: true)
/// ```
public final class Tokenizer: Sendable {
    /// How text between special tokens becomes tokens.
    private enum Encoder: Sendable {
        case bytePair(PreTokenizer, BytePairEncoder)
        case sentencePiece(SentencePieceEncoder)
        case wordPiece(WordPieceEncoder)
    }

    /// The vocabulary strings, by id.
    private let tokens: [String]
    /// The type of each token, after llama.cpp's promotion of end-of-generation tokens to control.
    private let types: [TokenType]
    private let encoder: Encoder
    /// Whether spaces are written `▁` before encoding (SentencePiece and Gemma 4).
    private let escapesSpaces: Bool
    /// Whether a space goes before the text and after every special token (SentencePiece only, as in llama.cpp).
    private let prefixesSpace: Bool
    private let specialTokens: SpecialTokenMatcher
    private let pieces: TokenPieces
    private let endOfGeneration: Set<Int32>
    /// Whether ``decode(_:renderSpecial:)`` removes the spaces WordPiece puts before punctuation, as llama.cpp does.
    private let cleansSpaces: Bool

    /// The beginning-of-sequence token, if the model has one.
    public let bosTokenID: Int32?
    /// The end-of-sequence token, if the model has one.
    public let eosTokenID: Int32?
    /// Whether prompts should start with ``bosTokenID``; ``encode(_:parseSpecial:limit:)`` never adds it itself.
    public let addBOS: Bool
    /// Whether prompts should end with ``eosTokenID``.
    public let addEOS: Bool
    /// The separator token (BERT's `[SEP]`), if the model has one.
    public let sepTokenID: Int32?
    /// Whether prompts should end with ``sepTokenID``: `true` for WordPiece, whose prompts llama.cpp frames as
    /// `[CLS] … [SEP]` whatever the file says (``addBOS`` is `true` and ``addEOS`` `false` for it, likewise).
    public let addSEP: Bool
    /// Whether the vocabulary prefixes text with a space (`tokenizer.ggml.add_space_prefix`): SentencePiece encoding
    /// puts one before the text and after every special token, and ``decode(_:renderSpecial:)`` removes it from the
    /// start.
    public let addSpacePrefix: Bool
    /// The `tokenizer.ggml.pre` name in use (`default` when the file names none).
    public let preTokenizerName: String

    /// The `tokenizer.ggml.model` values this tokenizer implements.
    static let supportedModels = ["gpt2", "llama", "gemma4", "bert"]

    /// Builds a tokenizer from plain values.
    ///
    /// - Throws: ``TokenizerError`` for an unsupported model or pre-tokenizer, or inconsistent vocabulary data.
    public init(vocabulary: TokenizerVocabulary) throws(TokenizerError) {
        let count = vocabulary.tokens.count
        guard count > 0, count < Int(Int32.max) / 2 else {
            throw TokenizerError(.invalidVocabulary, "vocabulary has \(count) tokens")
        }
        guard vocabulary.tokenTypes.count == count else {
            throw TokenizerError(.invalidVocabulary, "\(vocabulary.tokenTypes.count) token types for \(count) tokens")
        }
        guard vocabulary.scores.isEmpty || vocabulary.scores.count >= count else {
            throw TokenizerError(.invalidVocabulary, "\(vocabulary.scores.count) scores for \(count) tokens")
        }
        // llama.cpp gives empty token texts a name so that they cannot match anything.
        let tokens = vocabulary.tokens.enumerated().map { $1.isEmpty ? "[EMPTY_\($0)]" : $1 }
        func validID(_ id: Int32?) -> Int32? { id.flatMap { $0 >= 0 && Int($0) < count ? $0 : nil } }

        let isSentencePiece = vocabulary.model == "llama"
        let isWordPiece = vocabulary.model == "bert"
        var addBOS = vocabulary.addBOS
        var byteLevel = false
        switch vocabulary.model {
        case "gpt2", "gemma4":
            // llama.cpp names Gemma 4's pre-tokenizer by its model, whatever the file says.
            let name = vocabulary.model == "gemma4" ? "gemma4" : vocabulary.preTokenizer ?? "default"
            let preTokenizer = try PreTokenizer(name: name)
            let family = preTokenizer.family
            let wholeWords: BytePairEncoder.WholeWords =
                family.ignoresMerges ? .always : family.escapesSpaces ? .newlineRuns : .never
            encoder = .bytePair(
                preTokenizer,
                try BytePairEncoder(tokens: tokens, merges: vocabulary.merges, byteLevel: !family.escapesSpaces, wholeWords: wholeWords))
            escapesSpaces = family.escapesSpaces
            byteLevel = !family.escapesSpaces
            preTokenizerName = name
            // Gemma 4 needs BOS; llama.cpp overrides a file that says otherwise.
            addBOS = family.escapesSpaces ? true : addBOS ?? family.addsBOS
        case "llama":
            let scores = vocabulary.scores.isEmpty ? [Float](repeating: 0, count: count) : vocabulary.scores
            encoder = .sentencePiece(
                SentencePieceEncoder(tokens: tokens, scores: scores, unknownTokenID: validID(vocabulary.unknownTokenID) ?? validID(0)))
            escapesSpaces = true
            preTokenizerName = vocabulary.preTokenizer ?? "default"
            addBOS = addBOS ?? true
        case "bert":
            // BERT's normalizer lowercases unless the file says not to, and strips accents when it lowercases.
            let lowercase = vocabulary.lowercase ?? true
            WordPieceScalars.prepare()
            encoder = .wordPiece(
                WordPieceEncoder(
                    tokens: tokens, unknownTokenID: validID(vocabulary.unknownTokenID) ?? validID(100), lowercase: lowercase,
                    stripAccents: vocabulary.stripAccents ?? lowercase))
            // The words' `▁` comes from the encoder; the text itself is not escaped.
            escapesSpaces = false
            // llama.cpp names no pre-tokenizer for WordPiece, whatever the file says.
            preTokenizerName = "default"
            addBOS = true
        default:
            throw TokenizerError(
                .unsupportedModel,
                "unsupported tokenizer model '\(vocabulary.model)' (supported: \(Self.supportedModels.joined(separator: ", ")))")
        }
        addSpacePrefix = vocabulary.addSpacePrefix ?? isSentencePiece
        prefixesSpace = isSentencePiece && addSpacePrefix

        // SentencePiece vocabularies default to <s> = 1 and </s> = 2, and WordPiece ones to [CLS] = 101 and [SEP] = 102,
        // as in llama.cpp.
        let eos = validID(vocabulary.eosTokenID) ?? (isSentencePiece ? validID(2) : nil)
        var types = vocabulary.tokenTypes
        endOfGeneration = EndOfGeneration.resolve(
            tokens: tokens, types: &types, eos: eos, eot: validID(vocabulary.eotTokenID), eom: validID(vocabulary.eomTokenID))

        self.tokens = tokens
        self.types = types
        specialTokens = SpecialTokenMatcher(
            tokens: tokens, types: types,
            strip: SpecialTokenMatcher.stripRule(modelName: vocabulary.modelName, preTokenizer: vocabulary.preTokenizer))
        pieces = TokenPieces(tokens: tokens, types: types, byteLevel: byteLevel)
        bosTokenID = validID(vocabulary.bosTokenID) ?? (isSentencePiece ? validID(1) : isWordPiece ? validID(101) : nil)
        eosTokenID = eos
        sepTokenID = validID(vocabulary.sepTokenID) ?? (isWordPiece ? validID(102) : nil)
        self.addBOS = addBOS ?? false
        // llama.cpp's WordPiece ends a prompt with [SEP] only, even when the file asks for EOS.
        addEOS = isWordPiece ? false : vocabulary.addEOS ?? false
        addSEP = isWordPiece
        cleansSpaces = isWordPiece
    }

    /// The number of tokens in the vocabulary.
    public var vocabularySize: Int { tokens.count }

    /// Token ids for `text`, without BOS or EOS.
    ///
    /// - Parameters:
    ///   - parseSpecial: when `true`, control-token text such as `<|im_start|>` becomes that token; when `false` it is
    ///     tokenized as plain text. User-defined tokens are matched either way, as in llama.cpp.
    ///   - limit: stop once more than this many tokens are found (the result then holds the first ones, more than
    ///     `limit`), so that a text far longer than a context costs no more than a context's worth of work.
    public func encode(_ text: String, parseSpecial: Bool, limit: Int = .max) -> [Int32] {
        var text = text
        return text.withUTF8 { whole in
            // Every token covers at most `pieces.longest` bytes, so this prefix alone has more than `limit` tokens.
            let enough = limit < Int.max / pieces.longest - 1 ? (limit + 1) * pieces.longest : Int.max
            // Not for WordPiece: one [UNK] can stand for a word of any length, and it stops by itself (at a word's end).
            if whole.count > enough, !stopsAtLimit {
                let found = encode(UnsafeBufferPointer(rebasing: whole[..<enough]), parseSpecial: parseSpecial, limit: limit)
                // A vocabulary without some byte's token drops that byte; then the bound does not hold, and all is read.
                if found.count > limit { return found }
            }
            return encode(whole, parseSpecial: parseSpecial, limit: limit)
        }
    }

    /// Whether encoding stops by itself once past the limit, so that a text need not be cut short first (WordPiece).
    private var stopsAtLimit: Bool {
        if case .wordPiece = encoder { true } else { false }
    }

    /// Token ids for `bytes`, stopping once there are more than `limit`.
    private func encode(_ bytes: UnsafeBufferPointer<UInt8>, parseSpecial: Bool, limit: Int) -> [Int32] {
        var workspace = BytePairEncoder.Workspace()
        var out: [Int32] = []
        out.reserveCapacity(min(bytes.count / 3, limit) + 1)
        // SentencePiece puts a space before the text and after every special token.
        var afterSpecial = true
        for fragment in specialTokens.partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                out.append(id)
                afterSpecial = true
            case .text(let range):
                let text = UnsafeBufferPointer(rebasing: bytes[range])
                if escapesSpaces {
                    let escaped = Metaspace.escape(text, prefix: prefixesSpace && afterSpecial)
                    escaped.withUnsafeBufferPointer { encodeText($0, into: &out, limit: limit, workspace: &workspace) }
                } else {
                    encodeText(text, into: &out, limit: limit, workspace: &workspace)
                }
                afterSpecial = false
            }
            if out.count > limit { break }
        }
        return out
    }

    /// Appends the tokens of text between special tokens (spaces already escaped where the vocabulary wants it).
    private func encodeText(
        _ text: UnsafeBufferPointer<UInt8>, into out: inout [Int32], limit: Int, workspace: inout BytePairEncoder.Workspace
    ) {
        switch encoder {
        case .bytePair(let preTokenizer, let merger):
            for word in preTokenizer.split(text) {
                merger.encode(UnsafeBufferPointer(rebasing: text[word]), into: &out, workspace: &workspace)
                if out.count > limit { return }
            }
        case .sentencePiece(let merger):
            merger.encode(text, into: &out)
        case .wordPiece(let splitter):
            splitter.encode(text, into: &out, limit: limit)
        }
    }

    /// The text of `ids`; invalid UTF-8 (a character cut off at the end) becomes U+FFFD.
    ///
    /// As llama.cpp's `llama_detokenize` does, the space that ``addSpacePrefix`` put before the text is removed from the
    /// first token. WordPiece text cannot come back as it was (case, accents and spacing are lost): each word starts with
    /// a space, the first one too, and, as in llama.cpp, the spaces before `?`, `!`, `.` and `,` and some around
    /// apostrophes are removed (`" hello, it's me!"`).
    ///
    /// - Parameter renderSpecial: when `true`, control tokens produce their text; otherwise they produce nothing.
    public func decode(_ ids: [Int32], renderSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        for (index, id) in ids.enumerated() {
            checkID(id)
            pieces.append(Int(id), renderSpecial: renderSpecial, stripSpace: index == 0 && addSpacePrefix, to: &bytes)
        }
        if cleansSpaces { SpaceCleanup.apply(to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes one token stands for (possibly part of a UTF-8 character).
    public func tokenBytes(_ id: Int32, renderSpecial: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        appendBytes(of: id, renderSpecial: renderSpecial, to: &bytes)
        return bytes
    }

    /// Appends the raw bytes of token `id` to `bytes`. `id` must be in the vocabulary.
    public func appendBytes(of id: Int32, renderSpecial: Bool, to bytes: inout [UInt8]) {
        checkID(id)
        pieces.append(Int(id), renderSpecial: renderSpecial, to: &bytes)
    }

    /// The vocabulary string of token `id` as stored in the model (e.g. `Ġhello` or `▁hello`), for debugging.
    public func tokenText(_ id: Int32) -> String {
        checkID(id)
        return tokens[Int(id)]
    }

    /// The type of token `id`, after end-of-generation tokens have been made control tokens.
    public func tokenType(_ id: Int32) -> TokenType {
        checkID(id)
        return types[Int(id)]
    }

    /// Whether generation stops at `id`: EOS, end-of-turn, end-of-message and tokens llama.cpp recognises by text.
    public func isEndOfGeneration(_ id: Int32) -> Bool { endOfGeneration.contains(id) }

    /// All end-of-generation token ids, ascending.
    public var endOfGenerationTokenIDs: [Int32] { endOfGeneration.sorted() }

    private func checkID(_ id: Int32) {
        precondition(id >= 0 && Int(id) < tokens.count, "token id \(id) outside the vocabulary of \(tokens.count)")
    }
}
