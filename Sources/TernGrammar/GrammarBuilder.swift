/// Builds a ``Grammar``: named rules (for recursion) and a root expression, lowered to the flat form.
///
/// ```swift
/// var builder = GrammarBuilder()
/// let list = builder.declareRule()
/// builder.define(list, as: .choice([.sequence([.literal("a"), .rule(list)]), .empty]))
/// let grammar = try builder.build(root: .rule(list))   // a*
/// ```
public struct GrammarBuilder {
    private var definitions: [GrammarExpression?] = []

    /// The largest grammar ``build(root:maxSize:)`` makes by default, in elements.
    public static let defaultMaxSize = 200_000

    /// A builder with no rules.
    public init() {}

    /// A new rule, to be given its expression with ``define(_:as:)``; refer to it with ``GrammarExpression/rule(_:)``.
    public mutating func declareRule() -> Int {
        definitions.append(nil)
        return definitions.count - 1
    }

    /// Gives a declared rule its expression.
    public mutating func define(_ rule: Int, as expression: GrammarExpression) {
        precondition(definitions[rule] == nil, "rule \(rule) is already defined")
        definitions[rule] = expression
    }

    /// A new rule for `expression`.
    public mutating func rule(_ expression: GrammarExpression) -> GrammarExpression {
        let id = declareRule()
        define(id, as: expression)
        return .rule(id)
    }

    /// Lowers the rules and `root` into a grammar; throws when it would have more than `maxSize` elements.
    public func build(root: GrammarExpression, maxSize: Int = defaultMaxSize) throws(GrammarTooLarge) -> Grammar {
        var lowering = Lowering(namedRules: definitions.count, maxSize: maxSize)
        for (rule, definition) in definitions.enumerated() {
            guard let definition else { preconditionFailure("rule \(rule) was declared but never defined") }
            lowering.pending.append((Int32(rule), definition))
        }
        let rootRule = lowering.newRule(for: root)
        try lowering.run()
        return Grammar(
            elements: lowering.elements, byteSets: lowering.byteSets, alternativeStarts: lowering.alternativeStarts,
            ruleAlternatives: lowering.ruleAlternatives(), root: rootRule)
    }
}

/// A grammar larger than the limit: the schema or pattern it came from is too big to enforce.
public struct GrammarTooLarge: Error, Sendable {
    /// The limit, in elements.
    public var limit: Int
}

/// The lowering of expressions to flat alternatives. Each rule's alternatives are emitted into a buffer and appended
/// whole, so that rules created while emitting (for nested choices and repetitions) never interleave with them.
private struct Lowering {
    var elements: [Int32] = []
    var byteSets: [ByteSet] = []
    var byteSetIndex: [ByteSet: Int32] = [:]
    var alternativeStarts: [Int32] = []
    /// Per rule: the range of its alternatives in `alternativeStarts`, once emitted.
    var ruleRanges: [Range<Int>?]
    var pending: [(Int32, GrammarExpression)] = []
    /// Anonymous rules by the expression they stand for, so that equal sub-expressions share one rule.
    var anonymous: [GrammarExpression: Int32] = [:]
    let maxSize: Int

    init(namedRules: Int, maxSize: Int) {
        ruleRanges = Array(repeating: nil, count: namedRules)
        self.maxSize = maxSize
    }

    mutating func newRule(for expression: GrammarExpression) -> Int32 {
        if let rule = anonymous[expression] { return rule }
        let rule = Int32(ruleRanges.count)
        ruleRanges.append(nil)
        anonymous[expression] = rule
        pending.append((rule, expression))
        return rule
    }

    mutating func run() throws(GrammarTooLarge) {
        while let (rule, expression) = pending.popLast() {
            let alternatives: [GrammarExpression]
            if case .choice(let branches) = expression { alternatives = branches } else { alternatives = [expression] }
            let first = alternativeStarts.count
            for alternative in alternatives {
                var buffer: [Int32] = []
                emit(alternative, into: &buffer)
                alternativeStarts.append(Int32(elements.count))
                elements += buffer
                elements.append(Grammar.end)
                guard elements.count <= maxSize else { throw GrammarTooLarge(limit: maxSize) }
            }
            ruleRanges[Int(rule)] = first..<alternativeStarts.count
        }
    }

    mutating func emit(_ expression: GrammarExpression, into buffer: inout [Int32]) {
        switch expression {
        case .bytes(let set):
            buffer.append(index(of: set))
        case .sequence(let parts):
            for part in parts { emit(part, into: &buffer) }
        case .choice(let branches):
            if branches.count == 1 {
                emit(branches[0], into: &buffer)
            } else {
                buffer.append(Grammar.reference(newRule(for: expression)))
            }
        case .rule(let rule):
            buffer.append(Grammar.reference(Int32(rule)))
        case .repeated(let repeated, let min, let max):
            precondition(min >= 0 && (max ?? min) >= min, "invalid repetition bounds")
            let item: GrammarExpression
            switch repeated {
            case .bytes, .rule: item = repeated
            default: item = .rule(Int(newRule(for: repeated)))
            }
            for _ in 0..<min { emit(item, into: &buffer) }
            if let max {
                if max > min { buffer.append(Grammar.reference(optionalChain(item, length: max - min))) }
            } else {
                buffer.append(Grammar.reference(star(item)))
            }
        }
    }

    /// `item*` as `R ::= item R | ε`: a tail reference, so the matcher's stacks do not grow with the count.
    mutating func star(_ item: GrammarExpression) -> Int32 {
        let key = GrammarExpression.repeated(item, min: 0, max: nil)
        if let rule = anonymous[key] { return rule }
        let rule = Int32(ruleRanges.count)
        ruleRanges.append(nil)
        anonymous[key] = rule
        pending.append((rule, .choice([.sequence([item, .rule(Int(rule))]), .empty])))
        return rule
    }

    /// `item{0,length}` as `O_n ::= item O_(n-1) | ε`.
    mutating func optionalChain(_ item: GrammarExpression, length: Int) -> Int32 {
        var previous: Int32?
        for count in 1...length {
            let key = GrammarExpression.repeated(item, min: 0, max: count)
            if let rule = anonymous[key] {
                previous = rule
                continue
            }
            let rule = Int32(ruleRanges.count)
            ruleRanges.append(nil)
            anonymous[key] = rule
            let rest: [GrammarExpression] = previous.map { [GrammarExpression.rule(Int($0))] } ?? []
            pending.append((rule, .choice([.sequence([item] + rest), .empty])))
            previous = rule
        }
        return previous!
    }

    mutating func index(of set: ByteSet) -> Int32 {
        if let index = byteSetIndex[set] { return index }
        let index = Int32(byteSets.count)
        byteSets.append(set)
        byteSetIndex[set] = index
        return index
    }

    /// Per rule, the first and the end index of its alternatives in `alternativeStarts`.
    func ruleAlternatives() -> [Int32] {
        var result: [Int32] = []
        result.reserveCapacity(2 * ruleRanges.count)
        for range in ruleRanges {
            guard let range else { preconditionFailure("a rule was never emitted") }
            result += [Int32(range.lowerBound), Int32(range.upperBound)]
        }
        return result
    }
}
