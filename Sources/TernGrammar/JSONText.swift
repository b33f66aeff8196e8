import TernJSON

/// The pieces of JSON text every schema grammar is made of: whitespace, strings, numbers, literals and any value.
///
/// Whitespace between tokens is bounded (nothing, one space, or a newline and at most ``maxIndent`` spaces or tabs),
/// so a model cannot pad a document forever. Numbers have bounded digit counts for the same reason.
struct JSONText {
    /// The longest indentation after a newline.
    static let maxIndent = 32
    /// The most digits of an integer part, of a fraction and of an exponent.
    static let maxIntegerDigits = 16
    static let maxFractionDigits = 16
    static let maxExponentDigits = 2

    let whitespace: GrammarExpression
    /// One character inside a string: unescaped (valid UTF-8, no control characters) or an escape sequence.
    let character: GrammarExpression
    /// A whole string literal.
    let string: GrammarExpression
    let number: GrammarExpression
    let integer: GrammarExpression
    /// Any JSON value, and any JSON object.
    let value: GrammarExpression
    let object: GrammarExpression

    /// Up to 8 spaces, tabs and line breaks: what may come before a document that follows other text.
    static let leading = GrammarExpression.repeated(.oneOf(" \t\n\r"), min: 0, max: 8)

    static let digit = GrammarExpression.range(0x30...0x39)
    static let nonZeroDigit = GrammarExpression.range(0x31...0x39)
    static let hexDigit = GrammarExpression.range(0x30...0x39, 0x41...0x46, 0x61...0x66)

    /// Any valid UTF-8 encoding of a character beyond ASCII.
    static let multiByteCharacter: GrammarExpression = {
        let tail = GrammarExpression.range(0x80...0xBF)
        return .choice([
            .sequence([.range(0xC2...0xDF), tail]),
            .sequence([.range(0xE0...0xE0), .range(0xA0...0xBF), tail]),
            .sequence([.range(0xE1...0xEC, 0xEE...0xEF), tail, tail]),
            .sequence([.range(0xED...0xED), .range(0x80...0x9F), tail]),
            .sequence([.range(0xF0...0xF0), .range(0x90...0xBF), tail, tail]),
            .sequence([.range(0xF1...0xF3), tail, tail, tail]),
            .sequence([.range(0xF4...0xF4), .range(0x80...0x8F), tail, tail]),
        ])
    }()

    init(builder: inout GrammarBuilder) {
        let indent = GrammarExpression.repeated(.oneOf(" \t"), min: 0, max: Self.maxIndent)
        whitespace = builder.rule(.choice([.empty, .literal(" "), .sequence([.literal("\n"), indent])]))

        // \uXXXX without surrogates (a lone one is not valid Unicode); \" \\ \/ \b \f \n \r \t.
        let hex = Self.hexDigit
        let unicodeEscape = GrammarExpression.sequence([
            .literal("u"),
            .choice([
                .sequence([.range(0x30...0x39, 0x41...0x43, 0x61...0x63), hex, hex, hex]),
                .sequence([.oneOf("dD"), .range(0x30...0x37), hex, hex]),
                .sequence([.oneOf("eEfF"), hex, hex, hex]),
            ]),
        ])
        let escape = GrammarExpression.sequence([.literal("\\"), .choice([.oneOf("\"\\/bfnrt"), unicodeEscape])])
        let plain = GrammarExpression.range(0x20...0x21, 0x23...0x5B, 0x5D...0x7F)
        character = builder.rule(.choice([plain, Self.multiByteCharacter, escape]))
        string = builder.rule(.sequence([.literal("\""), .repeated(character, min: 0, max: nil), .literal("\"")]))

        let integerPart = GrammarExpression.choice([
            .literal("0"), .sequence([Self.nonZeroDigit, .repeated(Self.digit, min: 0, max: Self.maxIntegerDigits - 1)]),
        ])
        integer = builder.rule(.sequence([.literal("-").optional, integerPart]))
        let fraction = GrammarExpression.sequence([.literal("."), .repeated(Self.digit, min: 1, max: Self.maxFractionDigits)])
        let exponent = GrammarExpression.sequence([
            .oneOf("eE"), .oneOf("+-").optional, .repeated(Self.digit, min: 1, max: Self.maxExponentDigits),
        ])
        number = builder.rule(.sequence([integer, fraction.optional, exponent.optional]))

        let valueRule = builder.declareRule()
        let objectRule = builder.declareRule()
        let member = GrammarExpression.sequence([string, whitespace, .literal(":"), whitespace, .rule(valueRule)])
        builder.define(objectRule, as: Self.delimited("{", member, "}", whitespace: whitespace))
        let array = Self.delimited("[", .rule(valueRule), "]", whitespace: whitespace)
        builder.define(
            valueRule,
            as: .choice([.rule(objectRule), array, string, number, .literal("true"), .literal("false"), .literal("null")]))
        value = .rule(valueRule)
        object = .rule(objectRule)
    }

    /// `open ws (item (ws , ws item)*)? ws close`, with the item count in `minItems...maxItems`.
    static func delimited(
        _ open: String, _ item: GrammarExpression, _ close: String, whitespace: GrammarExpression, minItems: Int = 0, maxItems: Int? = nil
    ) -> GrammarExpression {
        let separator = GrammarExpression.sequence([whitespace, .literal(","), whitespace])
        let more = GrammarExpression.repeated(.sequence([separator, item]), min: max(0, minItems - 1), max: maxItems.map { $0 - 1 })
        let items = GrammarExpression.sequence([item, more])
        let body: GrammarExpression = minItems > 0 ? items : (maxItems == 0 ? .empty : items.optional)
        return .sequence([.literal(open), whitespace, body, whitespace, .literal(close)])
    }

    /// `value` as JSON text: a string escaped the way ``string`` reads it.
    static func literal(_ value: JSONValue) -> GrammarExpression { .literal(value.jsonText) }
}
