@testable import TernTokenizer

/// A hand-built byte-level vocabulary: the 256 single-byte tokens (id = byte value) and then `extra` tokens.
struct TinyVocabulary {
    var extra: [String]
    var extraTypes: [TokenType]
    var merges: [String]

    init(extra: [String], extraTypes: [TokenType]? = nil, merges: [String]) {
        self.extra = extra
        self.extraTypes = extraTypes ?? extra.map { _ in .normal }
        self.merges = merges
    }

    var tokens: [String] { ByteLevelMapping.scalarForByte.map { String($0) } + extra }

    func tokenizer(pre: String = "gpt-2") throws -> Tokenizer {
        try Tokenizer(
            vocabulary: TokenizerVocabulary(
                model: "gpt2", tokens: tokens, tokenTypes: Array(repeating: .normal, count: 256) + extraTypes, merges: merges,
                preTokenizer: pre))
    }

    /// The id of a token by its vocabulary text.
    func id(_ text: String) -> Int32 { Int32(tokens.firstIndex(of: text)!) }

    /// The id of the single-byte token for an ASCII character.
    static func byte(_ character: Character) -> Int32 { Int32(character.asciiValue!) }
}
