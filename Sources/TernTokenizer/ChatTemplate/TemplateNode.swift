/// A statement of a parsed template.
indirect enum TemplateNode: Sendable {
    case text(String)
    case output(TemplateExpr)
    case conditional(branches: [(condition: TemplateExpr, body: [TemplateNode])], otherwise: [TemplateNode])
    case forLoop(ForLoop)
    case assign(target: AssignTarget, value: TemplateExpr)
    case assignBlock(name: String, filters: [FilterCall], body: [TemplateNode])
    case macro(MacroDefinition)
    case callBlock(call: TemplateExpr, parameters: [MacroParameter], body: [TemplateNode])
    case filterBlock(filters: [FilterCall], body: [TemplateNode])
    /// A body rendered in a scope of its own, as a call block's caller (transformers' `{% generation %}`).
    case scopedBlock([TemplateNode])
    case loopBreak
    case loopContinue

    struct ForLoop: Sendable {
        var targets: [String]
        var iterable: TemplateExpr
        var condition: TemplateExpr?
        var body: [TemplateNode]
        var otherwise: [TemplateNode]
    }

    enum AssignTarget: Sendable {
        case names([String])
        case attribute(object: String, attribute: String)
    }

    struct MacroParameter: Sendable {
        var name: String
        var defaultValue: TemplateExpr?
    }

    struct MacroDefinition: Sendable {
        var name: String
        var parameters: [MacroParameter]
        var body: [TemplateNode]
    }

    struct FilterCall: Sendable {
        var name: String
        var arguments: TemplateExpr.Arguments
        var line: Int
        var column: Int
    }
}

/// An expression with its position in the template.
struct TemplateExpr: Sendable {
    var kind: Kind
    var line: Int
    var column: Int

    indirect enum Kind: Sendable {
        case literal(Literal)
        case name(String)
        case list([TemplateExpr])
        case tuple([TemplateExpr])
        case dict([(key: TemplateExpr, value: TemplateExpr)])
        case negate(TemplateExpr)
        case plus(TemplateExpr)
        case not(TemplateExpr)
        case binary(BinaryOperator, TemplateExpr, TemplateExpr)
        case and(TemplateExpr, TemplateExpr)
        case or(TemplateExpr, TemplateExpr)
        case compare(TemplateExpr, [(op: CompareOperator, operand: TemplateExpr)])
        case conditional(condition: TemplateExpr, then: TemplateExpr, otherwise: TemplateExpr?)
        case attribute(TemplateExpr, String)
        case index(TemplateExpr, TemplateExpr)
        case slice(TemplateExpr, start: TemplateExpr?, stop: TemplateExpr?, step: TemplateExpr?)
        case call(TemplateExpr, Arguments)
        case filter(TemplateExpr, TemplateNode.FilterCall)
        case test(TemplateExpr, name: String, arguments: Arguments, negated: Bool)
    }

    enum Literal: Sendable {
        case none
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
    }

    enum BinaryOperator: String, Sendable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
        case concat = "~"
    }

    enum CompareOperator: String, Sendable {
        case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
        case contains = "in", notContains = "not in"
    }

    struct Arguments: Sendable {
        var positional: [TemplateExpr] = []
        var keyword: [(name: String, value: TemplateExpr)] = []
    }
}
