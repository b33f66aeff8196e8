import Testing

@testable import TernTokenizer

/// Token-at-a-time decoding that never emits half a character.
@Suite struct StreamingDetokenizerTests {
    /// With the tiny vocabulary, token id = byte value, so any byte sequence can be streamed.
    private func stream(_ bytes: [UInt8]) throws -> (pieces: [String], rest: String) {
        let tokenizer = try TinyVocabulary(extra: [], merges: []).tokenizer()
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        let pieces = bytes.map { detokenizer.append(Int32($0)) }
        return (pieces, detokenizer.finish())
    }

    @Test func multiByteCharactersWaitUntilComplete() throws {
        let (pieces, rest) = try stream(Array("a🙂中é".utf8))
        #expect(pieces == ["a", "", "", "", "🙂", "", "", "中", "", "é"])
        #expect(rest == "")
    }

    @Test func invalidBytesBecomeReplacementCharacters() throws {
        // 0xFF can never start a character; 0xC3 followed by ASCII is cut off.
        let (pieces, rest) = try stream([0x41, 0xFF, 0xC3, 0x42])
        #expect(pieces == ["A", "\u{FFFD}", "", "\u{FFFD}B"])
        #expect(rest == "")
        // An overlong lead (0xE0 0x80) is not held back.
        #expect(try stream([0xE0, 0x80]).pieces == ["", "\u{FFFD}\u{FFFD}"])
    }

    @Test func finishFlushesAnUnfinishedCharacter() throws {
        let (pieces, rest) = try stream([0x61, 0xF0, 0x9F, 0x99])
        #expect(pieces == ["a", "", "", ""])
        #expect(rest == "\u{FFFD}")
    }

    @Test func realModelEmojiAndCJKSplitAcrossTokens() throws {
        let tokenizer = try TestModel.tokenizer()
        for text in ["emoji 🙂🚀👍🏽 and ✓", "日本語のテキストです。", "中文分词测试", "Ünïcödé ÀÉÎÕÜ ß ẞ"] {
            let ids = tokenizer.encode(text, parseSpecial: false)
            // At least one token must end inside a character for the test to mean anything.
            #expect(ids.contains { String(validating: tokenizer.tokenBytes($0), as: UTF8.self) == nil })
            var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
            var pieces = ids.map { detokenizer.append($0) }
            pieces.append(detokenizer.finish())
            #expect(pieces.joined() == text)
            #expect(!pieces.joined().contains("\u{FFFD}"))
        }
    }

    @Test func controlTokensRenderOnlyWhenAsked() throws {
        let tokenizer = try TestModel.tokenizer()
        let ids = tokenizer.encode("<|im_start|>assistant\nHi<|im_end|>", parseSpecial: true)
        var plain = StreamingDetokenizer(tokenizer: tokenizer)
        var rendered = StreamingDetokenizer(tokenizer: tokenizer, renderSpecial: true)
        #expect(ids.map { plain.append($0) }.joined() == "assistant\nHi")
        #expect(ids.map { rendered.append($0) }.joined() == "<|im_start|>assistant\nHi<|im_end|>")
    }
}
