import Testing

@testable import TernOpenAI

@Suite struct OpenAIIdentifierTests {
    /// A deterministic generator for repeatable ids.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func idsHaveThePrefixAndBase62Tail() {
        let chat = OpenAIIdentifier.chatCompletion()
        #expect(chat.hasPrefix("chatcmpl-"))
        let tail = chat.dropFirst("chatcmpl-".count)
        #expect(tail.count == OpenAIIdentifier.randomLength)
        #expect(tail.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(OpenAIIdentifier.completion().hasPrefix("cmpl-"))
        #expect(OpenAIIdentifier.chatCompletion() != OpenAIIdentifier.chatCompletion())
    }

    @Test func seededGeneratorsRepeatAndCoverTheAlphabet() {
        var first = SplitMix(state: 1)
        var second = SplitMix(state: 1)
        #expect(OpenAIIdentifier.completion(using: &first) == OpenAIIdentifier.completion(using: &second))
        var generator = SplitMix(state: 42)
        let sample = OpenAIIdentifier.randomBase62(count: 5000, using: &generator)
        #expect(Set(sample).count == 62)
    }

    /// The system's generator, read at most 64 words at a time: across many refills every character still comes up,
    /// about equally often, and no two ids repeat.
    @Test func systemIdsCoverTheAlphabetAcrossRefills() {
        let sample = OpenAIIdentifier.randomBase62(count: 62_000)
        var counts: [Character: Int] = [:]
        for character in sample { counts[character, default: 0] += 1 }
        #expect(counts.count == 62)
        // 1,000 expected per character; six standard deviations (≈ 190) either side.
        #expect(counts.values.allSatisfy { (800...1200).contains($0) })
        let ids = (0..<1000).map { _ in OpenAIIdentifier.randomBase62(count: 24) }
        #expect(Set(ids).count == 1000)
    }

    @Test func fingerprintSanitizesTheVersion() {
        #expect(OpenAIIdentifier.systemFingerprint(version: "0.1.0") == "fp_tern_0.1.0")
        #expect(OpenAIIdentifier.systemFingerprint(version: "1.0 beta/2") == "fp_tern_1.0_beta_2")
    }
}
