import TernJSON

/// A set of characters of a regular expression: ASCII characters exactly, beyond ASCII either listed characters or
/// all of them (for `.` and negated classes).
struct PatternCharacters {
    var ascii = ByteSet()
    var allBeyondASCII = false
    var beyondASCII: [Unicode.Scalar] = []

    static let digits = PatternCharacters(ascii: ByteSet(0x30...0x39))
    static let word = PatternCharacters(ascii: ByteSet(0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F...0x5F))
    static let space = PatternCharacters(ascii: ByteSet(ascii: " \t\n\r\u{0B}\u{0C}"))

    mutating func insert(_ scalar: Unicode.Scalar) {
        if scalar.isASCII {
            ascii.insert(UInt8(scalar.value)...UInt8(scalar.value))
        } else if !beyondASCII.contains(scalar) {
            beyondASCII.append(scalar)
        }
    }

    mutating func formUnion(_ other: PatternCharacters) {
        ascii.formUnion(other.ascii)
        allBeyondASCII = allBeyondASCII || other.allBeyondASCII
        for scalar in other.beyondASCII where !beyondASCII.contains(scalar) { beyondASCII.append(scalar) }
    }

    /// The ASCII characters not in this set; beyond ASCII, all characters when `includingBeyondASCII`.
    func complement(includingBeyondASCII: Bool) -> PatternCharacters {
        var result = PatternCharacters(ascii: ascii.inverted.intersecting(ByteSet(0x00...0x7F)))
        result.allBeyondASCII = includingBeyondASCII
        return result
    }

    /// One character of the set as it is written inside a JSON string: `"` and `\` escaped, control characters as
    /// `\n`-style escapes; `nil` when the set is empty.
    func jsonGrammar() -> GrammarExpression? {
        var plain = ascii.intersecting(ByteSet(0x20...0x7F))
        plain.remove(0x22)
        plain.remove(0x5C)
        var branches: [GrammarExpression] = []
        if !plain.isEmpty { branches.append(.bytes(plain)) }
        for byte in UInt8(0)...0x7F where ascii.contains(byte) && (byte < 0x20 || byte == 0x22 || byte == 0x5C) {
            var text = ""
            JSONValue.appendQuoted(String(UnicodeScalar(byte)), to: &text)
            branches.append(.literal(String(text.dropFirst().dropLast())))
        }
        if allBeyondASCII {
            branches.append(JSONText.multiByteCharacter)
        } else {
            for scalar in beyondASCII { branches.append(.literal(String(scalar))) }
        }
        if branches.isEmpty { return nil }
        return branches.count == 1 ? branches[0] : .choice(branches)
    }
}
