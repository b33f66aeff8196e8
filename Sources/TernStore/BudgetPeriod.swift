public import Foundation

/// The calendar period of a ``TokenBudget``, in UTC.
public enum BudgetPeriod: String, Sendable, Codable, CaseIterable {
    /// From 00:00 UTC to the next 00:00 UTC.
    case day
    /// From the first of the month, 00:00 UTC, to the first of the next.
    case month

    /// The start of the period that contains `date`.
    public func start(containing date: Date) -> Date {
        let calendar = Self.calendar
        switch self {
        case .day:
            return calendar.startOfDay(for: date)
        case .month:
            let parts = calendar.dateComponents([.year, .month], from: date)
            return calendar.date(from: parts) ?? calendar.startOfDay(for: date)
        }
    }

    /// The start of the period after the one that contains `date`.
    public func end(containing date: Date) -> Date {
        let start = start(containing: date)
        let step: DateComponents = self == .day ? DateComponents(day: 1) : DateComponents(month: 1)
        return Self.calendar.date(byAdding: step, to: start) ?? start.addingTimeInterval(86_400)
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
