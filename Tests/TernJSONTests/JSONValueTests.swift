import Foundation
import Testing

@testable import TernJSON

@Suite struct JSONValueTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test func parsesAllValueKinds() throws {
        let value = try parse(#" {"a": [1, -2.5, 3e2, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {}} "#)
        let expected: JSONValue = .object([
            "a": .array([.integer(1), .double(-2.5), .double(300), .bool(true), .bool(false), .null, .string("x\né😀")]),
            "b": .object([:]),
        ])
        #expect(value == expected)
    }

    @Test func integersThatOverflowBecomeDecimals() throws {
        #expect(try parse("9223372036854775807") == .integer(Int64.max))
        #expect(try parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try parse("1e400") == .double(.infinity))
        #expect(try parse("2.0").integerValue == 2)
        #expect(try parse("2.5").integerValue == nil)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "NaN", "Infinity", "-", "01", "1.", ".5", "1e", "tru", "\"abc", "\"\\x\"", "\"\\ud800\"",
        "\"\\udc00\"", "{\"a\" 1}", "[1 2]", "1 2", "\"a\u{01}\"", "{1:2}",
    ])
    func rejectsInvalidJSON(text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]  // "\xC3(" — a broken two-byte sequence
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
        let overlong: [UInt8] = [0x22, 0xC0, 0xAF, 0x22]
        #expect(throws: JSONParseError.self) { try JSONValue.parse(overlong) }
    }

    @Test func limitsNestingDepthWithoutRecursingDeeply() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try parse(ok) }
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError.self) { try parse(tooDeep) }
        // A hostile body: a million open brackets must fail fast, not overflow the stack.
        let hostile = String(repeating: "[{\"a\":", count: 500_000)
        #expect(throws: JSONParseError.self) { try parse(hostile) }
    }

    @Test func lastDuplicateKeyWins() throws {
        #expect(try parse(#"{"a":1,"a":2}"#) == .object(["a": .integer(2)]))
    }
}
