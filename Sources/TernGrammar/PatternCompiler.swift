/// Compiles a JSON Schema `pattern` (a subset of ECMA-262 regular expressions) into the grammar of the string's
/// contents as JSON writes them.
///
/// Supported: literals and escapes (`\d \w \s \D \W \S`, `\n \t \r`, escaped punctuation, `\uXXXX`), `.`, classes
/// with ranges and negation, groups `( )` and `(?: )`, alternation, quantifiers `* + ? {n} {n,} {n,m}` (lazy forms
/// read the same), and `^`/`$` at the ends. A pattern without `^` (`$`) may have any text before (after) it, as
/// JSON Schema says. Refused with a message naming the construct: back-references, look-around, word boundaries,
/// named groups, anchors elsewhere, ranges beyond ASCII. `\D \W \S` generate ASCII only (so that Unicode-aware
/// validators agree); `.` and negated classes also generate any character beyond ASCII.
struct PatternCompiler {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private let anyCharacter: GrammarExpression

    /// The largest repetition count a pattern may ask for.
    static let maxRepetition = 1000

    init(_ pattern: String, anyCharacter: GrammarExpression) {
        scalars = Array(pattern.unicodeScalars)
        self.anyCharacter = anyCharacter
    }

    /// The contents grammar; throws a message when the pattern is invalid or uses something unsupported.
    mutating func compile() throws(PatternError) -> GrammarExpression {
        var anchoredStart = false
        var anchoredEnd = false
        var end = scalars.count
        if scalars.first == "^" {
            anchoredStart = true
            index = 1
        }
        if end > index, scalars[end - 1] == "$", !isEscaped(end - 1) {
            anchoredEnd = true
            end -= 1
        }
        let body = try alternation(until: end)
        guard index == end else { throw PatternError("unbalanced ')'") }
        let free = GrammarExpression.repeated(anyCharacter, min: 0, max: nil)
        return .sequence((anchoredStart ? [] : [free]) + [body] + (anchoredEnd ? [] : [free]))
    }

    private func isEscaped(_ position: Int) -> Bool {
        var backslashes = 0
        var cursor = position - 1
        while cursor >= 0 && scalars[cursor] == "\\" {
            backslashes += 1
            cursor -= 1
        }
        return backslashes % 2 == 1
    }

    private mutating func alternation(until end: Int) throws(PatternError) -> GrammarExpression {
        var branches = [try concatenation(until: end)]
        while index < end && scalars[index] == "|" {
            index += 1
            branches.append(try concatenation(until: end))
        }
        return branches.count == 1 ? branches[0] : .choice(branches)
    }

    private mutating func concatenation(until end: Int) throws(PatternError) -> GrammarExpression {
        var parts: [GrammarExpression] = []
        while index < end && scalars[index] != "|" && scalars[index] != ")" {
            let atom = try self.atom(until: end)
            parts.append(try quantified(atom, until: end))
        }
        return parts.count == 1 ? parts[0] : .sequence(parts)
    }

    private mutating func atom(until end: Int) throws(PatternError) -> GrammarExpression {
        let scalar = scalars[index]
        index += 1
        switch scalar {
        case "(":
            if index < end && scalars[index] == "?" {
                guard index + 1 < end && scalars[index + 1] == ":" else {
                    throw PatternError("look-around and named groups ('(?') are not supported")
                }
                index += 2
            }
            let inner = try alternation(until: end)
            guard index < end && scalars[index] == ")" else { throw PatternError("missing ')'") }
            index += 1
            return inner
        case "[":
            return try characters(try characterClass(until: end))
        case ".":
            var set = PatternCharacters(ascii: ByteSet(0x00...0x7F))
            set.ascii.remove(0x0A)
            set.ascii.remove(0x0D)
            set.allBeyondASCII = true
            return try characters(set)
        case "\\":
            return try characters(try escape(until: end, inClass: false))
        case "^", "$":
            throw PatternError("'\(scalar)' is supported only at the start ('^') or the end ('$') of the pattern")
        case "*", "+", "?", "{":
            throw PatternError("nothing to repeat before '\(scalar)'")
        default:
            var set = PatternCharacters()
            set.insert(scalar)
            return try characters(set)
        }
    }

    private func characters(_ set: PatternCharacters) throws(PatternError) -> GrammarExpression {
        guard let grammar = set.jsonGrammar() else { throw PatternError("a character class matches nothing") }
        return grammar
    }

    private mutating func quantified(_ atom: GrammarExpression, until end: Int) throws(PatternError) -> GrammarExpression {
        guard index < end else { return atom }
        var result: GrammarExpression
        switch scalars[index] {
        case "*": result = .repeated(atom, min: 0, max: nil)
        case "+": result = .repeated(atom, min: 1, max: nil)
        case "?": result = .repeated(atom, min: 0, max: 1)
        case "{":
            guard let (low, high) = try bounds(until: end) else { return atom }
            result = .repeated(atom, min: low, max: high)
        default: return atom
        }
        index += 1
        if index < end && scalars[index] == "?" { index += 1 }  // lazy: the same set of strings
        if index < end && scalars[index] == "+" { throw PatternError("possessive quantifiers are not supported") }
        return result
    }

    /// Reads `{n}`, `{n,}` or `{n,m}` at `index`; `nil` (and nothing read) when the brace is a literal.
    private mutating func bounds(until end: Int) throws(PatternError) -> (Int, Int?)? {
        var cursor = index + 1
        func number() -> Int? {
            var digits = ""
            while cursor < end, ("0"..."9").contains(scalars[cursor]) {
                digits.unicodeScalars.append(scalars[cursor])
                cursor += 1
            }
            return digits.isEmpty ? nil : Int(digits.prefix(6))
        }
        guard let low = number() else { return nil }
        var high: Int? = low
        if cursor < end && scalars[cursor] == "," {
            cursor += 1
            high = number()
        }
        guard cursor < end && scalars[cursor] == "}" else { return nil }
        if let high, high < low { throw PatternError("repetition {\(low),\(high)} has its bounds out of order") }
        guard low <= Self.maxRepetition && (high ?? 0) <= Self.maxRepetition else {
            throw PatternError("repetition counts above \(Self.maxRepetition) are not supported")
        }
        index = cursor  // at '}', which the caller steps past
        return (low, high)
    }

    private mutating func characterClass(until end: Int) throws(PatternError) -> PatternCharacters {
        var negated = false
        if index < end && scalars[index] == "^" {
            negated = true
            index += 1
        }
        var set = PatternCharacters()
        var first = true
        while true {
            guard index < end else { throw PatternError("missing ']'") }
            let scalar = scalars[index]
            if scalar == "]" && !first { break }
            first = false
            index += 1
            var low: Unicode.Scalar
            if scalar == "\\" {
                let escaped = try escape(until: end, inClass: true)
                guard let single = escaped.single else {
                    set.formUnion(escaped)
                    continue
                }
                low = single
            } else {
                low = scalar
            }
            if index + 1 < end && scalars[index] == "-" && scalars[index + 1] != "]" {
                index += 1
                var high = scalars[index]
                index += 1
                if high == "\\" {
                    guard let single = try escape(until: end, inClass: true).single else {
                        throw PatternError("a class shorthand cannot end a range")
                    }
                    high = single
                }
                guard low.value <= high.value else { throw PatternError("range '\(low)-\(high)' is out of order") }
                guard high.isASCII else { throw PatternError("ranges beyond ASCII are not supported") }
                set.ascii.insert(UInt8(low.value)...UInt8(high.value))
            } else {
                set.insert(low)
            }
        }
        index += 1
        if negated {
            guard set.beyondASCII.isEmpty && !set.allBeyondASCII else {
                throw PatternError("negated classes that list characters beyond ASCII are not supported")
            }
            return set.complement(includingBeyondASCII: true)
        }
        return set
    }

    /// Reads the escape after a backslash.
    private mutating func escape(until end: Int, inClass: Bool) throws(PatternError) -> PatternCharacters {
        guard index < end else { throw PatternError("the pattern ends with a lone '\\'") }
        let scalar = scalars[index]
        index += 1
        var set = PatternCharacters()
        switch scalar {
        case "d": return .digits
        case "w": return .word
        case "s": return .space
        case "D": return PatternCharacters.digits.complement(includingBeyondASCII: false)
        case "W": return PatternCharacters.word.complement(includingBeyondASCII: false)
        case "S": return PatternCharacters.space.complement(includingBeyondASCII: false)
        case "n": set.insert("\n")
        case "t": set.insert("\t")
        case "r": set.insert("\r")
        case "f": set.insert("\u{0C}")
        case "v": set.insert("\u{0B}")
        case "u":
            guard index + 4 <= end, let value = UInt32(String(String.UnicodeScalarView(scalars[index..<index + 4])), radix: 16),
                let decoded = Unicode.Scalar(value)
            else { throw PatternError("'\\u' must be followed by four hex digits of a character") }
            index += 4
            set.insert(decoded)
        case "b" where inClass: set.insert("\u{08}")
        case "b", "B": throw PatternError("word boundaries ('\\\(scalar)') are not supported")
        case "1"..."9", "k": throw PatternError("back-references are not supported")
        default:
            guard !scalar.properties.isAlphabetic && !("0"..."9").contains(scalar) else {
                throw PatternError("the escape '\\\(scalar)' is not supported")
            }
            set.insert(scalar)
        }
        return set
    }
}

extension PatternCharacters {
    /// The one character of a set made of exactly one, for range ends.
    var single: Unicode.Scalar? {
        if allBeyondASCII { return nil }
        var found: Unicode.Scalar?
        var count = beyondASCII.count
        found = beyondASCII.first
        for byte in UInt8(0)...0x7F where ascii.contains(byte) {
            count += 1
            found = Unicode.Scalar(byte)
        }
        return count == 1 ? found : nil
    }
}

/// Why a pattern cannot be compiled.
struct PatternError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
