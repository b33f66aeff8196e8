import Foundation
import TernGGUF
import TernJSON
import TernTokenizer
import Testing

@testable import TernGrammar

/// The token masks over the default model's real vocabulary: exactly the tokens whose bytes the grammar can read,
/// and documents sampled through them always parse and follow the schema.
@Suite struct TokenMatcherTests {
    static let vocabulary: Result<TokenVocabulary, any Error> = Result {
        guard let path = ProcessInfo.processInfo.environment["TERN_TEST_MODEL"] else {
            throw TestSetupError(message: "set TERN_TEST_MODEL to the path of SmolLM2-135M-Instruct.Q4_1.gguf")
        }
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: path))
        return TokenVocabulary(tokenizer: tokenizer, logitCount: tokenizer.vocabularySize)
    }

    static let schema = #"""
        {"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer","minimum":0,"maximum":120},
         "mood":{"enum":["happy","sad"]},"tags":{"type":"array","items":{"type":"string","pattern":"^[a-z]+$"},"maxItems":3},
         "when":{"type":"string","format":"date"}},"required":["name","age","tags"],"additionalProperties":false}
        """#

    func tokenGrammar(_ schema: String) throws -> TokenGrammar {
        let grammar = try JSONSchemaCompiler.grammar(for: JSONValue.parse(Array(schema.utf8)))
        return TokenGrammar(grammar: grammar, vocabulary: try Self.vocabulary.get())
    }

    /// The ids `constrain` leaves finite.
    func allowed(_ matcher: inout TokenMatcher, count: Int) -> [Int32] {
        var logits = [Float](repeating: 0, count: count)
        logits.withUnsafeMutableBufferPointer { matcher.constrain($0) }
        return logits.indices.filter { logits[$0] == 0 }.map { Int32($0) }
    }

    @Test func maskIsExactlyTheTokensWhoseBytesTheGrammarReads() throws {
        let tokenGrammar = try tokenGrammar(Self.schema)
        let vocabulary = tokenGrammar.vocabulary
        var random = SystemRandomNumberGenerator()
        for _ in 0..<3 {
            var matcher = TokenMatcher(tokenGrammar)
            for _ in 0..<12 {
                let masked = allowed(&matcher, count: vocabulary.logitCount)
                var expected: [Int32] = []
                for id in 0..<Int32(vocabulary.logitCount) {
                    if vocabulary.endOfGeneration.contains(id) {
                        if matcher.isComplete { expected.append(id) }
                        continue
                    }
                    let bytes = vocabulary.tokenBytes(id)
                    var copy = matcher.matcher
                    if !bytes.isEmpty && copy.advance(bytes) { expected.append(id) }
                }
                #expect(masked == expected)
                guard let next = masked.randomElement(using: &random), !vocabulary.endOfGeneration.contains(next) else { break }
                let took = matcher.accept(next)
                #expect(took)
            }
        }
    }

    @Test func sampledDocumentsParseAndFollowTheSchema() throws {
        let tokenGrammar = try tokenGrammar(Self.schema)
        let vocabulary = tokenGrammar.vocabulary
        var random = SystemRandomNumberGenerator()
        var finished = 0
        for _ in 0..<40 {
            var matcher = TokenMatcher(tokenGrammar)
            var text: [UInt8] = []
            var ended = false
            for _ in 0..<300 {
                let masked = allowed(&matcher, count: vocabulary.logitCount)
                // End as soon as the document allows it, so that walks finish; otherwise a random allowed token.
                if matcher.isComplete, let end = masked.first(where: vocabulary.endOfGeneration.contains) {
                    let took = matcher.accept(end)
                    #expect(took)
                    ended = true
                    break
                }
                let next = try #require(masked.randomElement(using: &random))
                let took = matcher.accept(next)
                #expect(took)
                text += vocabulary.tokenBytes(next)
            }
            guard ended else { continue }
            finished += 1
            let document = try JSONValue.parse(text)
            guard case .object(let object) = document else {
                Issue.record("not an object: \(String(decoding: text, as: UTF8.self))")
                continue
            }
            #expect(Set(object.keys).isSubset(of: ["name", "age", "mood", "tags", "when"]))
            let name = object["name"]?.stringValue
            let age = object["age"]?.integerValue
            #expect(name != nil && name!.count <= 12)
            #expect(age != nil && (0...120).contains(age!))
            if case .array(let tags)? = object["tags"] {
                #expect(tags.count <= 3)
                for tag in tags {
                    let letters = tag.stringValue.map { $0.allSatisfy { ("a"..."z").contains($0) } }
                    #expect(letters == true)
                }
            } else {
                Issue.record("tags missing: \(String(decoding: text, as: UTF8.self))")
            }
        }
        #expect(finished >= 10, "only \(finished) of 40 random walks finished within 300 tokens")
        #expect(tokenGrammar.cachedMasks > 0)
    }

    @Test func aStateSeenBeforeIsServedFromTheCache() throws {
        let tokenGrammar = try tokenGrammar(#"{"type":"string"}"#)
        var first = TokenMatcher(tokenGrammar)
        let opening = allowed(&first, count: tokenGrammar.vocabulary.logitCount)
        let cached = tokenGrammar.cachedMasks
        var second = TokenMatcher(tokenGrammar)
        #expect(allowed(&second, count: tokenGrammar.vocabulary.logitCount) == opening)
        #expect(tokenGrammar.cachedMasks == cached)
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

extension TokenMatcherTests {
    /// An ambiguous pattern would multiply the parse stacks with every byte of a long token; deduplication keeps the
    /// mask exact and its cost bounded.
    @Test func ambiguousPatternsStayExactAndBounded() throws {
        let tokenGrammar = try tokenGrammar(#"{"type":"string","pattern":"^(a|a|a|a|aa|aaa)*b$"}"#)
        var matcher = TokenMatcher(tokenGrammar)
        let vocabulary = tokenGrammar.vocabulary
        for _ in 0..<4 {
            let masked = allowed(&matcher, count: vocabulary.logitCount)
            var expected: [Int32] = []
            for id in 0..<Int32(vocabulary.logitCount) where !vocabulary.endOfGeneration.contains(id) {
                var copy = matcher.matcher
                let bytes = vocabulary.tokenBytes(id)
                if !bytes.isEmpty && copy.advance(bytes) { expected.append(id) }
            }
            #expect(masked == expected)
            // The longest run of a's the vocabulary has, once inside the string.
            let next = try #require(masked.max { vocabulary.tokenBytes($0).count < vocabulary.tokenBytes($1).count })
            let took = matcher.accept(next)
            #expect(took)
            #expect(matcher.matcher.live.count <= GrammarMatcher.maxStacks)
        }
    }
}
