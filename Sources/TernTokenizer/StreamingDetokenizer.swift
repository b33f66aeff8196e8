/// Turns token ids into text one token at a time, never emitting half a UTF-8 character.
///
/// Byte-level tokens can end in the middle of a character (an emoji is often two or three tokens). The bytes of an
/// unfinished character are held back until the tokens that complete it arrive; bytes that can never become valid
/// are emitted as U+FFFD right away.
///
/// ```swift
/// var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
/// for id in generated { send(detokenizer.append(id)) }
/// send(detokenizer.finish())
/// ```
public struct StreamingDetokenizer: Sendable {
    private let tokenizer: Tokenizer
    private let renderSpecial: Bool
    /// Bytes received but not yet emitted: at most the start of one unfinished character.
    private var pending: [UInt8] = []

    /// Creates a detokenizer; `renderSpecial` makes control tokens produce their text.
    public init(tokenizer: Tokenizer, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// Adds one token and returns the text that is now complete (possibly empty).
    public mutating func append(_ id: Int32) -> String {
        tokenizer.appendBytes(of: id, renderSpecial: renderSpecial, to: &pending)
        let keep = Self.incompleteSuffixLength(pending)
        let ready = pending.count - keep
        guard ready > 0 else { return "" }
        let text = String(decoding: pending[..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return text
    }

    /// Returns whatever is held back, with an unfinished character as U+FFFD, and starts over.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of the trailing bytes that are a valid but unfinished UTF-8 sequence (0 if there is none).
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        // A sequence is at most 4 bytes, so an unfinished one starts in the last 3.
        for start in max(0, bytes.count - 3)..<bytes.count {
            let needed = sequenceLength(lead: bytes[start])
            let have = bytes.count - start
            guard needed > have else { continue }
            if (start + 1..<bytes.count).allSatisfy({ isValidContinuation(bytes[$0], at: $0 - start, lead: bytes[start]) }) {
                return have
            }
        }
        return 0
    }

    /// The length of the sequence a lead byte starts, or 0 for a byte that cannot start one.
    private static func sequenceLength(lead: UInt8) -> Int {
        switch lead {
        case 0x00...0x7F: 1
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 0
        }
    }

    /// Whether `byte` may be byte number `index` (1-based after the lead) of a sequence starting with `lead`.
    private static func isValidContinuation(_ byte: UInt8, at index: Int, lead: UInt8) -> Bool {
        guard index == 1 else { return (0x80...0xBF).contains(byte) }
        switch lead {
        case 0xE0: return (0xA0...0xBF).contains(byte)  // No overlong forms.
        case 0xED: return (0x80...0x9F).contains(byte)  // No surrogates.
        case 0xF0: return (0x90...0xBF).contains(byte)
        case 0xF4: return (0x80...0x8F).contains(byte)  // Nothing past U+10FFFF.
        default: return (0x80...0xBF).contains(byte)
        }
    }
}
