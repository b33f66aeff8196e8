import Testing

@testable import TernTokenizer

/// The regex engine behind the pre-tokenizers, checked piece by piece against what `std::regex` does.
@Suite struct SplitPatternTests {
    private func split(_ text: String, _ source: String) throws -> [String] {
        let pattern = try SplitPattern(source)
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            let scalars = ScalarText(buffer)
            var pieces: [Range<Int>] = []
            var stack: [SplitPattern.Backtrack] = []
            pattern.split(scalars, 0..<scalars.count, into: &pieces, stack: &stack)
            return pieces.map { String(decoding: bytes[scalars.byteOffsets[$0.lowerBound]..<scalars.byteOffsets[$0.upperBound]], as: UTF8.self) }
        }
    }

    @Test func unmatchedScalarsStayTogetherBetweenMatches() throws {
        #expect(try split("ab12cd3", #"\p{N}+"#) == ["ab", "12", "cd", "3"])
        #expect(try split("", #"\p{N}+"#) == [])
    }

    @Test func greedyRunsGiveBackForALookahead() throws {
        #expect(try split("a   b", #"\s+(?!\S)| ?\S+"#) == ["a", "  ", " b"])
        #expect(try split("a   ", #"\s+(?!\S)|\S+"#) == ["a", "   "])
        #expect(try split("x\n \n  y", #"\s*[\r\n]+|\S"#) == ["x", "\n \n", "  ", "y"])
    }

    @Test func alternativesAreTriedInOrderNotLongestFirst() throws {
        #expect(try split("abc", "a|ab|abc") == ["a", "bc"])
        #expect(try split("abc", "abc|a") == ["abc"])
    }

    @Test func boundedRepetitionAndGroups() throws {
        #expect(try split("1234567", #"\p{N}{1,3}"#) == ["123", "456", "7"])
        #expect(try split("abababx", "(?:ab){2}") == ["abab", "abx"])
        #expect(try split("aaaa", "a{2,}") == ["aaaa"])
    }

    @Test func caseInsensitiveGroupsFoldASCII() throws {
        #expect(try split("I'M we'Ll", #"(?i:'m|'ll)|\p{L}+| "#) == ["I", "'M", " ", "we", "'Ll"])
        #expect(try split("I'M", #"'m|\p{L}+"#) == ["I", "'", "M"])
    }

    @Test func endOfTextAnchor() throws {
        #expect(try split("a  b  ", #"\s+$"#) == ["a  b", "  "])
        let spaces = String(repeating: " ", count: 50_000)
        #expect(try split(spaces + "1" + spaces, #"\s+$"#) == [spaces + "1", spaces])
    }

    /// Without `\p{…}`, classes compare values (llama.cpp's `std::wregex` path), non-ASCII whitespace included as `\v`.
    @Test func classesWithoutCategoriesMatchByValue() throws {
        #expect(try split("日本abc語", "[\u{4E00}-\u{9FA5}]+") == ["日本", "abc", "語"])
        #expect(try split("a\u{3000}b", "[\u{3000}]") == ["a\u{3000}b"])
        #expect(try split("a\u{3000}b", #"\s"#) == ["a", "\u{3000}", "b"])
    }

    /// With `\p{…}`, a non-ASCII scalar is only its category (llama.cpp's collapsed path).
    @Test func categoriesCoverASCIIAndBeyond() throws {
        #expect(try split("a,b—c«d", #"\p{P}"#) == ["a", ",", "b", "—", "c", "«", "d"])
        #expect(try split("x+y€z", #"\p{S}"#) == ["x", "+", "y", "€", "z"])
        #expect(try split("e\u{301}x", #"\p{M}"#) == ["e", "\u{301}", "x"])
        #expect(try split("Ab9", #"[\p{Lu}]+"#) == ["Ab", "9"])
    }

    /// llama.cpp's Unicode tables are Unicode 15.1: a letter added later is no letter there.
    @Test func scalarsNewerThanUnicode15AreUnassigned() {
        #expect(Unicode.Scalar(0x10D50)!.properties.generalCategory == .uppercaseLetter)  // Garay, Unicode 16.
        #expect(ScalarText.category(of: 0x10D50) == .other)
        #expect(ScalarText.category(of: 0x1F600) == .symbol)
        #expect(ScalarText.code(of: 0x2003) == ScalarText.whitespaceCode)
    }

    @Test(arguments: [
        "a*?", #"\b"#, ".", "(?:a*)*", #"\p{Han}"#, "[\\p{L}é]", "a?", "(?<x>a)", "a{3,2}", "[a", "(a", "a)", "[]", #"\S[^\S]"#,
    ])
    func unsupportedSyntaxIsRefused(_ source: String) {
        #expect(throws: TokenizerError.self) { try SplitPattern(source) }
    }

    /// Every pattern of the table compiles.
    @Test func everyFamilyCompiles() throws {
        for name in PreTokenizer.supportedNames { _ = try PreTokenizer(name: name) }
    }
}
