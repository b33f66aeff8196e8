/// A bucket of `capacity` units that refills evenly over one minute: a per-minute limit without a window edge at
/// which a client can send twice its limit.
///
/// Times are seconds on any monotonic scale; the caller passes `now` so that tests control the clock.
struct TokenBucket: Sendable, Equatable {
    /// The limit per minute.
    let capacity: Int
    /// Units available at ``updated``.
    private(set) var level: Double
    private var updated: Double

    /// A full bucket.
    init(capacity: Int, now: Double) {
        self.capacity = capacity
        level = Double(capacity)
        updated = now
    }

    /// A bucket as it was read at `updated` (from a database).
    init(capacity: Int, level: Double, updated: Double) {
        self.capacity = capacity
        self.level = level
        self.updated = updated
    }

    private var perSecond: Double { Double(capacity) / 60 }

    /// Adds what flowed in since the last update.
    mutating func refill(now: Double) {
        let elapsed = max(0, now - updated)
        level = min(Double(capacity), level + elapsed * perSecond)
        updated = max(updated, now)
    }

    /// Takes `units` if they are there; otherwise returns the seconds until they will be (infinite when `units`
    /// is more than the capacity) and takes nothing.
    mutating func take(_ units: Int, now: Double) -> Double? {
        refill(now: now)
        if Double(units) <= level + 1e-9 {
            level -= Double(units)
            return nil
        }
        guard units <= capacity else { return .infinity }
        return (Double(units) - level) / perSecond
    }

    /// Gives back units taken but not used (a token reservation settled below its estimate).
    mutating func giveBack(_ units: Int, now: Double) {
        refill(now: now)
        level = min(Double(capacity), level + Double(max(0, units)))
    }

    /// Takes `units` even when that goes below zero (a request that used more than it reserved).
    mutating func charge(_ units: Int, now: Double) {
        refill(now: now)
        level -= Double(max(0, units))
    }

    /// Whole units available now.
    func remaining(now: Double) -> Int {
        var copy = self
        copy.refill(now: now)
        return max(0, Int(copy.level.rounded(.down)))
    }

    /// Seconds until the bucket is full again.
    func secondsUntilFull(now: Double) -> Double {
        var copy = self
        copy.refill(now: now)
        return max(0, (Double(capacity) - copy.level) / perSecond)
    }
}
