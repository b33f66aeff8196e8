extension SplitPattern {
    /// Compiles `source`.
    ///
    /// - Throws: ``TokenizerError`` naming the construct for syntax this engine does not have (lazy quantifiers,
    ///   back-references, `\b`, `.`, …), a pattern that can match the empty string, or, as llama.cpp refuses too, a
    ///   pattern that mixes `\p{…}` with non-ASCII literals.
    init(_ source: String) throws(TokenizerError) {
        var parser = Parser(Array(source.unicodeScalars), source: source)
        let root = try parser.parsePattern()
        if parser.usesCategories && parser.hasNonASCIILiteral {
            throw parser.error("mixes \\p{…} with non-ASCII characters")
        }
        if root.canBeEmpty { throw parser.error("can match the empty string") }
        var ranges: [ClosedRange<UInt32>] = []
        let sets = parser.classes.map {
            ScalarSet($0.builder, negated: $0.negated, matchesByValue: !parser.usesCategories, rangeList: &ranges)
        }
        var compiler = Compiler(sets: sets)
        try compiler.emit(root, parser)
        compiler.program.append(.accept)
        self.source = source
        self.sets = sets
        self.ranges = ranges
        program = compiler.program
        guardBits = compiler.guardBits
    }
}

/// A parsed pattern before compilation.
private indirect enum PatternNode {
    case set(Int)
    case sequence([PatternNode])
    case alternation([PatternNode])
    case repetition(PatternNode, min: Int, max: Int?)
    case lookahead(PatternNode, negated: Bool)
    case end

    /// The codes the first scalar of a non-empty match can have (a superset for classes that match by value).
    func firstCodes(_ sets: [ScalarSet]) -> [Bool] {
        switch self {
        case .set(let index):
            return (0..<256).map { sets[index].mayContain(code: UInt8($0)) }
        case .sequence(let items):
            // Up to the first item that must consume; lookaheads and `$` consume nothing.
            var codes = [Bool](repeating: false, count: 256)
            for item in items {
                for (code, possible) in item.firstCodes(sets).enumerated() where possible { codes[code] = true }
                if !item.canBeEmpty { break }
            }
            return codes
        case .alternation(let branches):
            var codes = [Bool](repeating: false, count: 256)
            for branch in branches {
                for (code, possible) in branch.firstCodes(sets).enumerated() where possible { codes[code] = true }
            }
            return codes
        case .repetition(let body, _, let max):
            return max == 0 ? [Bool](repeating: false, count: 256) : body.firstCodes(sets)
        case .lookahead, .end:
            return [Bool](repeating: false, count: 256)
        }
    }

    var canBeEmpty: Bool {
        switch self {
        case .set: false
        case .sequence(let items): items.allSatisfy(\.canBeEmpty)
        case .alternation(let branches): branches.contains(where: \.canBeEmpty)
        case .repetition(let body, let min, _): min == 0 || body.canBeEmpty
        case .lookahead, .end: true
        }
    }
}

/// Recursive descent over the pattern's scalars.
private struct Parser {
    let scalars: [Unicode.Scalar]
    let source: String
    var index = 0
    var caseInsensitive = false
    /// Every class of the pattern; a node refers to one by index.
    var classes: [(builder: ScalarSet.Builder, negated: Bool)] = []
    var usesCategories = false
    var hasNonASCIILiteral = false

    init(_ scalars: [Unicode.Scalar], source: String) {
        self.scalars = scalars
        self.source = source
    }

    func error(_ problem: String) -> TokenizerError {
        TokenizerError(.unsupportedPreTokenizer, "split pattern '\(source)' \(problem) (at offset \(index))")
    }

    private var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private mutating func next() throws(TokenizerError) -> Unicode.Scalar {
        guard let scalar = peek else { throw error("ends too early") }
        index += 1
        return scalar
    }

    private mutating func expect(_ scalar: Unicode.Scalar) throws(TokenizerError) {
        guard try next() == scalar else { throw error("expected '\(scalar)'") }
    }

    mutating func parsePattern() throws(TokenizerError) -> PatternNode {
        let node = try parseAlternation()
        if peek != nil { throw error("has an unmatched ')'") }
        return node
    }

    private mutating func parseAlternation() throws(TokenizerError) -> PatternNode {
        var branches = [try parseSequence()]
        while peek == "|" {
            index += 1
            branches.append(try parseSequence())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func parseSequence() throws(TokenizerError) -> PatternNode {
        var items: [PatternNode] = []
        while let scalar = peek, scalar != "|", scalar != ")" {
            items.append(try parseQuantifier(of: try parseAtom()))
        }
        return items.count == 1 ? items[0] : .sequence(items)
    }

    private mutating func parseAtom() throws(TokenizerError) -> PatternNode {
        switch try next() {
        case "(":
            var negated = false
            var lookahead = false
            let outerCase = caseInsensitive
            if peek == "?" {
                index += 1
                switch try next() {
                case ":": break
                case "i": try expect(":"); caseInsensitive = true
                case "=": lookahead = true
                case "!": (lookahead, negated) = (true, true)
                default: throw error("has an unsupported group")
                }
            }
            let body = try parseAlternation()
            try expect(")")
            caseInsensitive = outerCase
            return lookahead ? .lookahead(body, negated: negated) : body
        case "[":
            return try parseClass()
        case "\\":
            let (builder, negated) = try parseEscape().asClass()
            return addClass(builder, negated: negated)
        case "$":
            return .end
        case "^", ".", "*", "+", "?", "{", ")":
            index -= 1
            throw error("has an unsupported or misplaced '\(scalars[index])'")
        case let scalar:
            var builder = ScalarSet.Builder()
            builder.add(literal(scalar))
            return addClass(builder, negated: false)
        }
    }

    private mutating func parseQuantifier(of atom: PatternNode) throws(TokenizerError) -> PatternNode {
        let bounds: (min: Int, max: Int?)
        switch peek {
        case "?": bounds = (0, 1)
        case "*": bounds = (0, nil)
        case "+": bounds = (1, nil)
        case "{":
            index += 1
            let low = try parseNumber()
            var high: Int? = low
            if peek == "," {
                index += 1
                high = peek == "}" ? nil : try parseNumber()
            }
            guard peek == "}", high.map({ $0 >= low }) ?? true else { throw error("has a malformed {m,n}") }
            bounds = (low, high)
        default:
            return atom
        }
        index += 1
        if let scalar = peek, "?*+{".unicodeScalars.contains(scalar) { throw error("has a lazy or repeated quantifier") }
        return .repetition(atom, min: bounds.min, max: bounds.max)
    }

    private mutating func parseNumber() throws(TokenizerError) -> Int {
        var value = 0
        var digits = 0
        while let scalar = peek, let digit = Int(String(scalar)), digits < 6 {
            value = value * 10 + digit
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw error("has a quantifier without a number") }
        return value
    }

    private mutating func parseClass() throws(TokenizerError) -> PatternNode {
        var builder = ScalarSet.Builder()
        let negated = peek == "^"
        if negated { index += 1 }
        if peek == "]" { throw error("has an empty class") }
        while true {
            guard let scalar = peek else { throw error("has an unclosed class") }
            if scalar == "]" { break }
            let low = try parseClassItem()
            guard case .scalar(let lowValue) = low, peek == "-", index + 1 < scalars.count, scalars[index + 1] != "]" else {
                try low.add(to: &builder, self)
                continue
            }
            index += 1
            guard case .scalar(let highValue) = try parseClassItem(), lowValue <= highValue else { throw error("has a bad range") }
            builder.add(lowValue...highValue)
        }
        index += 1
        if caseInsensitive { builder.foldCase() }
        return addClass(builder, negated: negated)
    }

    private mutating func parseClassItem() throws(TokenizerError) -> ClassItem {
        let scalar = try next()
        return scalar == "\\" ? try parseEscape() : .scalar(literal(scalar))
    }

    /// The escape after a backslash.
    private mutating func parseEscape() throws(TokenizerError) -> ClassItem {
        let scalar = try next()
        var builder = ScalarSet.Builder()
        switch scalar {
        case "s", "S":
            builder.addWhitespace()
            return .set(builder, negated: scalar == "S")
        case "d", "D":
            builder.add(0x30...0x39)
            return .set(builder, negated: scalar == "D")
        case "w", "W":
            for range: ClosedRange<UInt32> in [0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F...0x5F] { builder.add(range) }
            return .set(builder, negated: scalar == "W")
        case "p":
            try expect("{")
            var name = ""
            while let letter = peek, letter != "}" {
                name.unicodeScalars.append(letter)
                index += 1
            }
            try expect("}")
            // llama.cpp collapses the letter subcategories into \p{L}.
            let categories: [String: ScalarText.Category] = [
                "N": .number, "L": .letter, "Lu": .letter, "Ll": .letter, "Lt": .letter, "Lm": .letter, "Lo": .letter,
                "P": .punctuation, "M": .mark, "S": .symbol,
            ]
            guard let category = categories[name] else { throw error("has an unsupported category \\p{\(name)}") }
            builder.add(category)
            usesCategories = true
            return .set(builder, negated: false)
        case "r": return .scalar(0x0D)
        case "n": return .scalar(0x0A)
        case "t": return .scalar(0x09)
        case "f": return .scalar(0x0C)
        case "v": return .scalar(0x0B)
        case "x", "u":
            var value: UInt32 = 0
            for _ in 0..<(scalar == "x" ? 2 : 4) {
                guard let digit = UInt32(String(try next()), radix: 16) else { throw error("has a bad \\\(scalar) escape") }
                value = value << 4 | digit
            }
            return .scalar(literal(Unicode.Scalar(value) ?? "\u{FFFD}"))
        default:
            // Other escaped ASCII punctuation stands for itself; escaped letters and digits mean things this engine lacks.
            guard scalar.isASCII, !scalar.properties.isAlphabetic, !("0"..."9").contains(scalar) else {
                throw error("has an unsupported escape \\\(scalar)")
            }
            return .scalar(scalar.value)
        }
    }

    /// A literal scalar's value, noting a non-ASCII one.
    private mutating func literal(_ scalar: Unicode.Scalar) -> UInt32 {
        if !scalar.isASCII { hasNonASCIILiteral = true }
        return scalar.value
    }

    private mutating func addClass(_ builder: ScalarSet.Builder, negated: Bool) -> PatternNode {
        var builder = builder
        if caseInsensitive { builder.foldCase() }
        classes.append((builder, negated))
        return .set(classes.count - 1)
    }
}

/// What one class member or escape stands for.
private enum ClassItem {
    case scalar(UInt32)
    case set(ScalarSet.Builder, negated: Bool)

    func asClass() -> (ScalarSet.Builder, Bool) {
        switch self {
        case .scalar(let value):
            var builder = ScalarSet.Builder()
            builder.add(value)
            return (builder, false)
        case .set(let builder, let negated):
            return (builder, negated)
        }
    }

    func add(to builder: inout ScalarSet.Builder, _ parser: Parser) throws(TokenizerError) {
        switch self {
        case .scalar(let value):
            builder.add(value)
        case .set(let member, let negated):
            guard !negated else { throw parser.error("has a negated escape inside a class") }
            for value in 0..<128 where member.ascii[value] { builder.ascii[value] = true }
            builder.categories.formUnion(member.categories)
            builder.ranges += member.ranges
        }
    }
}

/// Lays out the program: alternatives and optional repetitions as forks, runs of one class as one instruction.
private struct Compiler {
    let sets: [ScalarSet]
    var program: [SplitPattern.Instruction] = []
    var guardBits: [UInt64] = []

    init(sets: [ScalarSet]) {
        self.sets = sets
    }

    /// A fork that tries `branch` first; the alternative is filled in later by `resolve`.
    private mutating func fork(before branch: PatternNode) -> Int {
        var guardIndex = -1
        if !branch.canBeEmpty {
            guardIndex = guardBits.count / 4
            var words = [UInt64](repeating: 0, count: 4)
            for (code, possible) in branch.firstCodes(sets).enumerated() where possible { words[code >> 6] |= 1 << UInt64(code & 63) }
            guardBits += words
        }
        program.append(.fork(alternative: -1, guard: guardIndex))
        return program.count - 1
    }

    /// Points the fork at `index` to the next instruction to be emitted.
    private mutating func resolve(_ index: Int) {
        guard case .fork(_, let guardIndex) = program[index] else { preconditionFailure("not a fork") }
        program[index] = .fork(alternative: program.count, guard: guardIndex)
    }

    mutating func emit(_ node: PatternNode, _ parser: Parser) throws(TokenizerError) {
        switch node {
        case .set(let set):
            program.append(.scalar(set: set))
        case .sequence(let items):
            for item in items { try emit(item, parser) }
        case .alternation(let branches):
            var exits: [Int] = []
            for branch in branches.dropLast() {
                let fork = fork(before: branch)
                try emit(branch, parser)
                exits.append(program.count)
                program.append(.jump(-1))
                resolve(fork)
            }
            try emit(branches[branches.count - 1], parser)
            for exit in exits { program[exit] = .jump(program.count) }
        case .repetition(.set(let set), let min, let max):
            program.append(.run(set: set, min: min, max: max ?? .max))
        case .repetition(let body, let min, let max):
            for _ in 0..<min { try emit(body, parser) }
            if let max {
                var forks: [Int] = []
                for _ in min..<max {
                    forks.append(fork(before: body))
                    try emit(body, parser)
                }
                for fork in forks { resolve(fork) }
            } else {
                guard !body.canBeEmpty else { throw parser.error("repeats something that can match the empty string") }
                let loop = fork(before: body)
                try emit(body, parser)
                program.append(.jump(loop))
                resolve(loop)
            }
        case .lookahead(let body, let negated):
            let start = program.count
            program.append(.lookahead(negated: negated, resume: -1))
            try emit(body, parser)
            program.append(.accept)
            program[start] = .lookahead(negated: negated, resume: program.count)
        case .end:
            program.append(.end)
        }
    }
}
