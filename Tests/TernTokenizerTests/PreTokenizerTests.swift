import Testing

@testable import TernTokenizer

/// Word splitting, checked piece by piece.
@Suite struct PreTokenizerTests {
    private func split(_ text: String, _ name: String = "smollm") throws -> [String] {
        let preTokenizer = try PreTokenizer(name: name)
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            preTokenizer.split(buffer).map { String(decoding: bytes[$0], as: UTF8.self) }
        }
    }

    @Test func smollmIsolatesEveryDigit() throws {
        #expect(try split("The year 2024 had 3.14") == ["The", " year", " ", "2", "0", "2", "4", " had", " ", "3", ".", "1", "4"])
        #expect(try split("year 2024", "gpt-2") == ["year", " 2024"])
    }

    @Test func contractionsAreCaseSensitive() throws {
        #expect(try split("I'm we'd they'll you've") == ["I", "'m", " we", "'d", " they", "'ll", " you", "'ve"])
        #expect(try split("I'M") == ["I", "'", "M"])
    }

    @Test func whitespaceLeavesItsLastScalarToTheNextWord() throws {
        #expect(try split("a  b") == ["a", " ", " b"])
        #expect(try split("x   ") == ["x", "   "])
        #expect(try split("hello\n\nworld") == ["hello", "\n", "\n", "world"])
        #expect(try split("   lead") == ["  ", " lead"])
        #expect(try split(" ") == [" "])
        #expect(try split("") == [])
    }

    @Test func lettersNumbersAndSymbolsUseUnicodeCategories() throws {
        #expect(try split("café naïve") == ["café", " naïve"])
        #expect(try split("Привет, мир!") == ["Привет", ",", " мир", "!"])
        #expect(try split("日本語のテキスト。") == ["日本語のテキスト", "。"])
        #expect(try split("x**2  # sq") == ["x", "**", "2", " ", " #", " sq"])
        #expect(try split("emoji 🙂🚀 ✓") == ["emoji", " 🙂🚀", " ✓"])
        // U+00B2 SUPERSCRIPT TWO and U+2167 ROMAN NUMERAL EIGHT are numbers (No, Nl).
        #expect(try split("x²Ⅷ") == ["x", "²", "Ⅷ"])
        #expect(try split("\u{3000}a", "gpt-2") == ["\u{3000}", "a"])
    }
}
