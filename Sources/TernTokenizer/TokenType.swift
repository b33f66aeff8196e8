/// The kind of a vocabulary entry, as stored in `tokenizer.ggml.token_type`.
public enum TokenType: Int32, Sendable, Hashable {
    /// Type 0: not set by the converter.
    case undefined = 0
    /// Type 1: ordinary text.
    case normal = 1
    /// Type 2: the unknown token.
    case unknown = 2
    /// Type 3: control tokens such as `<|im_start|>`; matched in text only when special tokens are parsed.
    case control = 3
    /// Type 4: user-defined tokens, always matched in text and decoded verbatim.
    case userDefined = 4
    /// Type 5: reserved and never produced.
    case unused = 5
    /// Type 6: a single raw byte (`<0x0A>`), used by SentencePiece-style vocabularies.
    case byte = 6
}
