/// What one key used in one calendar day or month (UTC): a row of the usage history.
public struct UsagePeriodTotals: Sendable, Equatable, Codable {
    /// The period: `2026-12-05` for a day, `2026-12` for a month.
    public var period: String
    /// The key's totals in the period.
    public var usage: KeyUsage

    /// A row of the history.
    public init(period: String, usage: KeyUsage) {
        self.period = period
        self.usage = usage
    }

    /// Flat in JSON: `{"period", "id", "name", "requests", …}`.
    public init(from decoder: any Decoder) throws {
        period = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .period)
        usage = try KeyUsage(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(period, forKey: .period)
        try usage.encode(to: encoder)
    }

    enum CodingKeys: String, CodingKey { case period }
}
