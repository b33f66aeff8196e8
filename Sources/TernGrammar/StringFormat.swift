/// The string `format`s Tern enforces, as grammars of the string's contents.
enum StringFormat {
    static let names = ["date", "time", "date-time", "uuid", "email"]

    static func grammar(_ name: String) -> GrammarExpression? {
        switch name {
        case "date": date
        case "time": time
        case "date-time": .sequence([date, .literal("T"), time])
        case "uuid": uuid
        case "email": email
        default: nil
        }
    }

    static func digits(_ count: Int) -> GrammarExpression { .repeated(JSONText.digit, min: count, max: count) }
    static func range(_ low: Character, _ high: Character) -> GrammarExpression {
        .range(low.asciiValue!...high.asciiValue!)
    }

    /// YYYY-MM-DD with each month's days (February to the 28th: every date generated exists).
    static let date: GrammarExpression = {
        let day28 = GrammarExpression.choice([
            .sequence([.literal("0"), range("1", "9")]), .sequence([range("1", "1"), digits(1)]),
            .sequence([.literal("2"), range("0", "8")]),
        ])
        let day30 = GrammarExpression.choice([day28, .literal("29"), .literal("30")])
        let day31 = GrammarExpression.choice([day30, .literal("31")])
        let monthDays = GrammarExpression.choice([
            .sequence([.choice(["01", "03", "05", "07", "08", "10", "12"].map { .literal($0) }), .literal("-"), day31]),
            .sequence([.choice(["04", "06", "09", "11"].map { .literal($0) }), .literal("-"), day30]),
            .sequence([.literal("02-"), day28]),
        ])
        return .sequence([digits(4), .literal("-"), monthDays])
    }()

    /// HH:MM:SS with optional fraction and a zone (Z or ±HH:MM), as RFC 3339 writes it.
    static let time: GrammarExpression = {
        let hour = GrammarExpression.choice([.sequence([range("0", "1"), digits(1)]), .sequence([.literal("2"), range("0", "3")])])
        let minute = GrammarExpression.sequence([range("0", "5"), digits(1)])
        let fraction = GrammarExpression.sequence([.literal("."), .repeated(JSONText.digit, min: 1, max: 6)])
        let zone = GrammarExpression.choice([.literal("Z"), .sequence([.oneOf("+-"), hour, .literal(":"), minute])])
        return .sequence([hour, .literal(":"), minute, .literal(":"), minute, fraction.optional, zone])
    }()

    static let uuid: GrammarExpression = {
        func hex(_ count: Int) -> GrammarExpression { .repeated(JSONText.hexDigit, min: count, max: count) }
        return .sequence([hex(8), .literal("-"), hex(4), .literal("-"), hex(4), .literal("-"), hex(4), .literal("-"), hex(12)])
    }()

    /// local@domain.tld: dot-separated atoms of letters, digits and `_%+-`; domain labels of letters, digits and inner `-`.
    static let email: GrammarExpression = {
        let atom = GrammarExpression.repeated(.bytes(ByteSet(0x30...0x39, 0x41...0x5A, 0x61...0x7A).union(ascii: "_%+-")), min: 1, max: 64)
        let local = GrammarExpression.sequence([atom, .repeated(.sequence([.literal("."), atom]), min: 0, max: 4)])
        let alphanumeric = GrammarExpression.range(0x30...0x39, 0x41...0x5A, 0x61...0x7A)
        let label = GrammarExpression.sequence([
            alphanumeric, .sequence([.repeated(.choice([alphanumeric, .literal("-")]), min: 0, max: 61), alphanumeric]).optional,
        ])
        return .sequence([local, .literal("@"), label, .repeated(.sequence([.literal("."), label]), min: 1, max: 4)])
    }()
}

extension ByteSet {
    /// This set with the ASCII characters of `characters` added.
    func union(ascii characters: String) -> ByteSet {
        var result = self
        result.formUnion(ByteSet(ascii: characters))
        return result
    }
}
