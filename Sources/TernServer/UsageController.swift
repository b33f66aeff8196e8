import Foundation
import Hummingbird
import TernOpenAI
import TernStore

/// What keys used, from the ledger.
///
/// - `GET /admin/usage` → totals per key: `{"object":"list","data":[{"id","name","requests","failed_requests",…}]}`;
///   with `?group=day` or `?group=month`, the same per UTC day or month and key, each row with its `"period"`
///   (`2026-12-05`, `2026-12`), oldest first.
/// - `GET /usage?group=day|month` → the calling key's own history (any key may ask for its own).
///
/// Both take `?since=YYYY-MM-DD` (UTC): only requests that finished on that day or later.
struct UsageController: Sendable {
    let ledger: any UsageLedger

    /// Every key's usage, for an admin key.
    func all(_ request: Request, by admin: AdminKey) async throws -> Response {
        let since = try Self.since(request)
        guard request.uri.queryParameters["group"] != nil else {
            return Self.list(try await ledger.usage(since: since), group: nil)
        }
        let group = try Self.group(request)
        return Self.list(try await ledger.usageHistory(per: group, keyID: nil, since: since), group: group)
    }

    /// The calling key's usage per day (the default) or month.
    func own(_ request: Request, key: APIKey) async throws -> Response {
        let group = try Self.group(request)
        return Self.list(try await ledger.usageHistory(per: group, keyID: key.id, since: try Self.since(request)), group: group)
    }

    private static func list(_ rows: [some Encodable & Sendable], group: BudgetPeriod?) -> Response {
        .json(UsageList(group: group?.rawValue, data: rows))
    }

    /// `?group=`: `day` (also when absent) or `month`.
    private static func group(_ request: Request) throws(OpenAIError) -> BudgetPeriod {
        guard let value = request.uri.queryParameters["group"].map(String.init) else { return .day }
        guard let period = BudgetPeriod(rawValue: value) else {
            throw .invalidValue("group", value: value, supported: BudgetPeriod.allCases.map(\.rawValue))
        }
        return period
    }

    /// `?since=YYYY-MM-DD`, midnight UTC of that day.
    private static func since(_ request: Request) throws(OpenAIError) -> Date? {
        guard let value = request.uri.queryParameters["since"].map(String.init) else { return nil }
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
            calendar.dateComponents([.year, .month, .day], from: date) == DateComponents(year: year, month: month, day: day)
        else {
            throw .invalidRequest("`since` must be a date as YYYY-MM-DD (UTC), not `\(value)`.", param: "since")
        }
        return date
    }

    private struct UsageList<Row: Encodable & Sendable>: Encodable, Sendable {
        var object = "list"
        var group: String?
        var data: [Row]
    }
}
