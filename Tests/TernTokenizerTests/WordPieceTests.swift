import Foundation
import Testing

@testable import TernTokenizer

/// WordPiece (`tokenizer.ggml.model = "bert"`) on llama.cpp's BERT vocabulary: the expected ids are what
/// `llama-tokenize -m ggml-vocab-bert-bge.gguf --ids --no-bos` prints (add `--no-parse-special` where not parsed).
@Suite struct WordPieceTests {
    private static func bert() throws -> Tokenizer {
        try Tokenizer(ggufPath: LlamaSources.vocabularyPath("bert-bge"))
    }

    static let cases: [(text: String, ids: [Int32])] = [
        // Lowercased, accents stripped (the file sets neither option: both default to on).
        ("Café Zürich", [7668, 10204]),
        ("CAFÉ naïve résumé", [7668, 15743, 13746]),
        // ß has no decomposition; İ loses its dot and lowercases to i; Σ becomes σ, never final ς.
        ("ß İ Σ ς", [1096, 1045, 1173, 1172]),
        // Each ideograph is a word, [UNK] when not in the vocabulary.
        ("我想在apple工作", [1855, 100, 100, 6207, 100, 100]),
        // An emoji stays in its word, which then matches nothing.
        ("🦙 llama 😀!", [100, 2222, 8067, 100, 999]),
        ("hello😀 world", [100, 2088]),
        // Full-width letters keep their form (no compatibility mapping), so no piece matches.
        ("Ａｂｃ ﬁ", [100, 1984]),
        // Pieces after the first are the vocabulary's `##` ones.
        ("unaffable", [14477, 20961, 3468]),
        ("xyzzyqwfp", [1060, 2100, 28753, 4160, 2860, 22540]),
        // Whitespace of any kind and amount separates; ZWJ and ZWSP are format characters, dropped.
        ("a\tb\nc\r\nd  e", [1037, 1038, 1039, 1040, 1041]),
        ("hello   world", [7592, 2088]),
        ("e\u{200D}mo\u{200B}ji", [7861, 29147, 2072]),
        // ASCII symbols stand alone, others (€, ½) stay in their word.
        ("$5+3=8 ^_^ €9 ½", [1002, 1019, 1009, 1017, 1027, 1022, 1034, 1035, 1034, 1574, 2683, 1092]),
        // Stripping accents keeps only the first scalar of a Hangul syllable's decomposition.
        ("한국어", [1469, 29991, 29999]),
        ("", []),
        (" ", []),
    ]

    @Test func encodesAsLlamaCpp() throws {
        let tokenizer = try Self.bert()
        for (text, ids) in Self.cases {
            #expect(tokenizer.encode(text, parseSpecial: false) == ids, "\(text.debugDescription)")
        }
    }

    @Test func specialTokensAreMatchedOnlyWhenParsed() throws {
        let tokenizer = try Self.bert()
        #expect(tokenizer.encode("a[SEP]b", parseSpecial: true) == [1037, 102, 1038])
        #expect(tokenizer.encode("a[SEP]b", parseSpecial: false) == [1037, 1031, 19802, 1033, 1038])
        #expect(tokenizer.encode("a [SEP] b [UNK] [CLS]", parseSpecial: true) == [1037, 102, 1038, 100, 101])
        #expect(
            tokenizer.encode("a [SEP] b [UNK] [CLS]", parseSpecial: false)
                == [1037, 1031, 19802, 1033, 1038, 1031, 4895, 2243, 1033, 1031, 18856, 2015, 1033])
        // Matching is on the text as written, before lowercasing.
        #expect(tokenizer.encode("[sep] [Sep]", parseSpecial: true) == [1031, 19802, 1033, 1031, 19802, 1033])
    }

    /// llama.cpp frames a prompt as `[CLS] … [SEP]`; the file names neither, so these are its defaults.
    @Test func promptsAreFramedByClsAndSep() throws {
        let tokenizer = try Self.bert()
        #expect((tokenizer.bosTokenID, tokenizer.eosTokenID, tokenizer.sepTokenID) == (101, nil, 102))
        #expect((tokenizer.addBOS, tokenizer.addEOS, tokenizer.addSEP, tokenizer.addSpacePrefix) == (true, false, true, false))
        let ids = tokenizer.encode("Hello, world! It's me.", parseSpecial: true)
        #expect([101] + ids + [102] == [101, 7592, 1010, 2088, 999, 2009, 1005, 1055, 2033, 1012, 102])
    }

    /// Decoding is llama.cpp's `llama_detokenize`: every word after a space, then the spaces before punctuation and
    /// in contractions removed.
    @Test func decodesAsLlamaCpp() throws {
        let tokenizer = try Self.bert()
        let ids: [Int32] = [101, 7592, 1010, 2088, 999, 2009, 1005, 1055, 2033, 1012, 102]
        #expect(tokenizer.decode(ids) == " hello, world! it's me.")
        #expect(tokenizer.decode(ids, renderSpecial: true) == "[CLS] hello, world! it's me.[SEP]")
        #expect(tokenizer.decode([14477, 20961, 3468]) == " unaffable")
        // `" ' "` loses both spaces; no space is removed before `'t` or `'ll`.
        #expect(tokenizer.decode([7592, 1005, 1056, 1005, 2222, 1005, 2128, 1005]) == " hello't'll're '")
        #expect(tokenizer.tokenBytes(7592) == Array(" hello".utf8))
    }

    /// A word longer than any limit can still be one [UNK]: the text is not cut short before encoding.
    @Test func limitStopsAfterWholeWords() throws {
        let tokenizer = try Self.bert()
        #expect(tokenizer.encode(String(repeating: "a", count: 5000) + "😀", parseSpecial: false, limit: 3) == [100])
        let text = String(repeating: "hello world ", count: 1000)
        let limited = tokenizer.encode(text, parseSpecial: false, limit: 5)
        #expect(limited.count == 6 && limited == Array(tokenizer.encode(text, parseSpecial: false).prefix(6)))
    }

    /// `tokenizer.ggml.normalizer.lowercase` and `strip_accents`, on a hand-built vocabulary.
    @Test func normalizerOptionsFollowTheFile() throws {
        let tokens = ["[PAD]", "[UNK]", "▁cafe", "▁café", "▁Cafe", "▁Café"]
        func encode(lowercase: Bool?, stripAccents: Bool?) throws -> [Int32] {
            let vocabulary = TokenizerVocabulary(
                model: "bert", tokens: tokens, tokenTypes: [.control, .control, .normal, .normal, .normal, .normal], merges: [],
                preTokenizer: nil, unknownTokenID: 1, lowercase: lowercase, stripAccents: stripAccents)
            return try Tokenizer(vocabulary: vocabulary).encode("Café", parseSpecial: false)
        }
        #expect(try encode(lowercase: nil, stripAccents: nil) == [2])
        #expect(try encode(lowercase: true, stripAccents: false) == [3])
        #expect(try encode(lowercase: false, stripAccents: nil) == [5])
        #expect(try encode(lowercase: false, stripAccents: true) == [4])
    }

    /// The accent-stripping table asks Foundation only inside `decomposingRanges`; nothing outside them decomposes.
    @Test func noDecompositionOutsideTheScannedRanges() {
        let outside = (UInt32(0)..<0x30000).filter { value in
            guard !WordPieceScalars.decomposingRanges.contains(where: { $0.contains(value) }),
                let scalar = Unicode.Scalar(value), WordPieceScalars.isKnown(scalar)
            else { return false }
            return String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars.first != scalar
        }
        #expect(outside == [])
    }
}
