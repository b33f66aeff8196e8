/// One token of a template: literal text, a tag delimiter, or a piece of an expression.
struct TemplateToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case text(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        /// Operators and punctuation: `+`, `//`, `==`, `(`, `|`, ….
        case op(String)
        case endOfInput
    }

    var kind: Kind
    var line: Int
    var column: Int
}
