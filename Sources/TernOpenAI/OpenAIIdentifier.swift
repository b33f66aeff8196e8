/// Ids in OpenAI's formats: `chatcmpl-…`, `cmpl-…` and `call_…` with random base62, and `fp_…` fingerprints.
public enum OpenAIIdentifier {
    /// The characters of base62.
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    /// Random characters per id, as in OpenAI's ids (≈ 173 bits).
    public static let randomLength = 29

    /// `chatcmpl-` followed by random base62.
    public static func chatCompletion() -> String {
        var generator = BufferedSystemRandom(words: randomLength)
        return chatCompletion(using: &generator)
    }

    /// `chatcmpl-` followed by base62 from `generator`.
    public static func chatCompletion(using generator: inout some RandomNumberGenerator) -> String {
        "chatcmpl-" + randomBase62(count: randomLength, using: &generator)
    }

    /// `call_` followed by 24 random base62 characters, as OpenAI's tool call ids.
    public static func toolCall() -> String {
        "call_" + randomBase62(count: 24)
    }

    /// `count` random base62 characters: the tool call ids of templates that require letters and digits of one length
    /// (Mistral's, 9).
    public static func toolCall(alphanumeric count: Int) -> String {
        randomBase62(count: count)
    }

    /// `cmpl-` followed by random base62.
    public static func completion() -> String {
        var generator = BufferedSystemRandom(words: randomLength)
        return completion(using: &generator)
    }

    /// `cmpl-` followed by base62 from `generator`.
    public static func completion(using generator: inout some RandomNumberGenerator) -> String {
        "cmpl-" + randomBase62(count: randomLength, using: &generator)
    }

    /// Uniformly random base62 characters from the system's secure generator.
    public static func randomBase62(count: Int) -> String {
        // One word per character: a draw from 0..<62 is rejected only with probability 62 / 2^64.
        var generator = BufferedSystemRandom(words: count)
        return randomBase62(count: count, using: &generator)
    }

    /// Uniformly random base62 characters from `generator`.
    public static func randomBase62(count: Int, using generator: inout some RandomNumberGenerator) -> String {
        precondition(count >= 0, "count must not be negative")
        var characters: [Character] = []
        characters.reserveCapacity(count)
        for _ in 0..<count {
            characters.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)])
        }
        return String(characters)
    }

    /// `fp_tern_<version>` with characters other than letters, digits, `.`, `-` and `_` replaced by `_`.
    public static func systemFingerprint(version: String) -> String {
        let cleaned = version.unicodeScalars.map { scalar -> String in
            let allowed = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
            return allowed ? String(scalar) : "_"
        }
        return "fp_tern_" + cleaned.joined()
    }
}
