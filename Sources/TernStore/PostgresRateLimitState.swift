public import Foundation
import PostgresNIO
import Synchronization

/// ``RateLimitState`` in PostgreSQL, exact across any number of replicas: each step is one call of a function of the
/// schema (``PostgresStore/migrations``) that locks the key's row, checks and takes in one transaction.
///
/// Running requests are rows with a lease that this replica renews while it runs: if it dies, its slots and
/// reservations expire after ``leaseSeconds`` instead of holding the key's limits for ever.
public final class PostgresRateLimitState: RateLimitState {
    /// How long a running request's row outlives the last renewal by its replica.
    public static let leaseSeconds = 30.0

    /// For the renewals and the cleanup at close.
    private let client: PostgresClient
    /// For the calls of requests, on their own loops.
    private let clients: PostgresLoopClients
    private let location: String
    /// This process's name on its rows.
    private let replica = UUID().uuidString
    /// The buckets of each key as the database last returned them, for the `x-ratelimit-*` headers without a query.
    private let seen = Mutex<[String: Buckets]>([:])
    /// The rows of this process's running requests: only these are renewed, so that a row whose request ended
    /// without reaching the database (a failed settlement) still expires.
    private let running = Running()
    private let renewal: Task<Void, Never>
    /// Whether an admitted request ends in one call (``finish(_:reservation:usedTokens:now:recording:in:)``).
    let endsInOneCall: Bool

    private final class Running: Sendable {
        let ids = Mutex(Set<Int>())
    }

    init(clients: PostgresLoopClients, client: PostgresClient, location: String, endsInOneCall: Bool) {
        self.clients = clients
        self.endsInOneCall = endsInOneCall
        self.client = client
        self.location = location
        let running = running
        renewal = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(Self.leaseSeconds / 3))
                let ids = Array(running.ids.withLock { $0 })
                guard !ids.isEmpty else { continue }
                let expires = Date().timeIntervalSince1970 + Self.leaseSeconds
                // GREATEST: a test's clock may run ahead of the wall clock; a renewal never shortens a lease.
                _ = try? await PostgresStore.rows(
                    "UPDATE running_requests SET expires_at = GREATEST(expires_at, \(expires)) WHERE id = ANY(\(ids))", client: client,
                    location: location)
            }
        }
    }

    deinit { renewal.cancel() }

    public func admit(_ policy: KeyPolicy, now: Date) async throws -> Result<RequestTicket, RateLimitRejection> {
        let seconds = now.timeIntervalSince1970
        let rows = try await rows(
            AdmitStatement(values: [
                policy.keyID, policy.limits.requestsPerMinute, policy.limits.maxConcurrent, replica, seconds, seconds + Self.leaseSeconds,
            ]))
        let row = try Self.single(rows)
        let (id, refusal, retryAfter) = (try row[0].decode(Int?.self), try row[1].decode(String?.self), try row[2].decode(Double?.self))
        remember(try Buckets(row, from: 3), for: policy.keyID)
        guard let refusal else {
            guard let id else { throw TernStoreError(.database, "tern_admit returned no request") }
            running.ids.withLock { _ = $0.insert(id) }
            return .success(RequestTicket(policy: policy, id: id))
        }
        return .failure(try Self.rejection(refusal, policy: policy, tokens: 0, retryAfter: retryAfter, remaining: nil, now: now))
    }

    public func reserveTokens(_ ticket: RequestTicket, tokens: Int, now: Date) async throws -> Result<TokenReservation, RateLimitRejection> {
        let policy = ticket.policy
        let periodStart = policy.budget.map { $0.period.start(containing: now) }
        let rows = try await rows(
            ReserveStatement(values: [
                policy.keyID, ticket.id, tokens, policy.limits.tokensPerMinute, policy.budget?.tokens,
                periodStart.map(StoredKeyColumns.milliseconds), now.timeIntervalSince1970,
            ]))
        let row = try Self.single(rows)
        let (refusal, retryAfter, remaining) = (try row[0].decode(String?.self), try row[1].decode(Double?.self), try row[2].decode(Int?.self))
        remember(try Buckets(row, from: 3), for: policy.keyID)
        guard let refusal else { return .success(TokenReservation(tokens: tokens, budgetPeriodStart: periodStart)) }
        return .failure(try Self.rejection(refusal, policy: policy, tokens: tokens, retryAfter: retryAfter, remaining: remaining, now: now))
    }

    public func admitAndReserve(_ policy: KeyPolicy, tokens: Int, now: Date) async throws -> TokenAdmission {
        let seconds = now.timeIntervalSince1970
        let periodStart = policy.budget.map { $0.period.start(containing: now) }
        let rows = try await rows(
            AdmitReserveStatement(values: [
                policy.keyID, policy.limits.requestsPerMinute, policy.limits.maxConcurrent, replica, seconds, seconds + Self.leaseSeconds, tokens,
                policy.limits.tokensPerMinute, policy.budget?.tokens, periodStart.map(StoredKeyColumns.milliseconds),
            ]))
        let row = try Self.single(rows)
        let (id, refusal) = (try row[0].decode(Int?.self), try row[1].decode(String?.self))
        let (retryAfter, remaining) = (try row[2].decode(Double?.self), try row[3].decode(Int?.self))
        remember(try Buckets(row, from: 4), for: policy.keyID)
        let ticket = id.map { RequestTicket(policy: policy, id: $0) }
        let admission: TokenAdmission
        if let refusal {
            admission = .refused(
                try Self.rejection(refusal, policy: policy, tokens: tokens, retryAfter: retryAfter, remaining: remaining, now: now), ticket: ticket)
        } else {
            guard let ticket else { throw TernStoreError(.database, "tern_admit_reserve returned no request") }
            admission = .admitted(ticket, TokenReservation(tokens: tokens, budgetPeriodStart: periodStart))
        }
        // Renewed from here on: only a ticket the caller gets back, which it will finish.
        if let id { running.ids.withLock { _ = $0.insert(id) } }
        return admission
    }

    /// The rejection a limiter function named (`refusal`), with the numbers the client is told.
    private static func rejection(
        _ refusal: String, policy: KeyPolicy, tokens: Int, retryAfter: Double?, remaining: Int?, now: Date
    ) throws -> RateLimitRejection {
        switch refusal {
        case "concurrency":
            return .concurrency(limit: policy.limits.maxConcurrent ?? 0)
        case "requests":
            return .requests(limit: policy.limits.requestsPerMinute ?? 0, retryAfter: retryAfter ?? 60)
        case "tokens":
            return .tokens(limit: policy.limits.tokensPerMinute ?? 0, requested: tokens, retryAfter: retryAfter)
        case "budget":
            guard let budget = policy.budget else { throw TernStoreError(.database, "the database refused a budget the key has not") }
            return .budget(budget, remaining: remaining ?? 0, requested: tokens, resetsAt: budget.period.end(containing: now))
        default:
            throw TernStoreError(.database, "a rate-limit function refused for an unknown reason: \(refusal)")
        }
    }

    public func finish(_ ticket: RequestTicket, reservation: TokenReservation?, usedTokens: Int, now: Date) async throws {
        let rows = try await rows(FinishStatement(values: finishValues(ticket, reservation: reservation, usedTokens: usedTokens, now: now)))
        if let row = rows.first { remember(try Buckets(PostgresRandomAccessRow(row), from: 0), for: ticket.policy.keyID) }
    }

    /// With this limiter's own store as the ledger, and where its commits do not wait for a disk (``endsInOneCall``),
    /// one call (`tern_finish_record`) settles the request and then inserts its row, each committed in turn: one round
    /// trip instead of two. A failure of the settlement writes no row (the request's slot and reservation expire with
    /// its lease); a failure of the row comes after the settlement, as when the two are apart. Otherwise the two calls
    /// side by side: the settlement needs no disk sync (the limits are in unlogged tables) and the row shares the
    /// ledger's batch, whose one sync serves every row that came meanwhile, where one call per request would hold a
    /// connection through a sync of its own.
    public func finish(
        _ ticket: RequestTicket, reservation: TokenReservation?, usedTokens: Int, now: Date, recording record: UsageRecord,
        in ledger: any UsageLedger
    ) async throws -> (any Error)? {
        guard let store = ledger as? PostgresStore, store.keepsLimits(of: self), record.keyID == ticket.policy.keyID, endsInOneCall else {
            return try await finishApart(ticket, reservation: reservation, usedTokens: usedTokens, now: now, recording: record, in: ledger)
        }
        let values = finishValues(ticket, reservation: reservation, usedTokens: usedTokens, now: now)
        let rows: [PostgresRow]
        do {
            rows = try await self.rows(FinishRecordStatement(finish: values, record: record))
        } catch {
            throw TernStoreError(.database, "the request could not be settled and recorded in the ledger: \(error)")
        }
        // Both are committed: a row that cannot be read only leaves the headers to the buckets seen before.
        if let row = rows.first, let buckets = try? Buckets(PostgresRandomAccessRow(row), from: 0) { remember(buckets, for: ticket.policy.keyID) }
        return nil
    }

    /// `tern_finish`'s arguments; the request is no longer renewed from here on, whatever happens to the call (if the
    /// settlement fails, its row expires with its lease).
    private func finishValues(_ ticket: RequestTicket, reservation: TokenReservation?, usedTokens: Int, now: Date) -> [(
        any PostgresEncodable & Sendable
    )?] {
        running.ids.withLock { _ = $0.remove(ticket.id) }
        let policy = ticket.policy
        let periodStart = policy.budget.map { StoredKeyColumns.milliseconds($0.period.start(containing: now)) }
        return [
            policy.keyID, ticket.id, reservation?.tokens, reservation?.budgetPeriodStart.map(StoredKeyColumns.milliseconds), usedTokens,
            periodStart, now.timeIntervalSince1970,
        ]
    }

    public func snapshot(_ policy: KeyPolicy, now: Date) -> RateLimitSnapshot {
        let buckets = seen.withLock { $0[policy.keyID] }
        let seconds = now.timeIntervalSince1970
        func limit(_ capacity: Int?, _ stored: TokenBucket?) -> RateLimitSnapshot.Limit? {
            guard let capacity else { return nil }
            let bucket = stored?.capacity == capacity ? stored! : TokenBucket(capacity: capacity, now: seconds)
            return .init(limit: capacity, remaining: bucket.remaining(now: seconds), resetSeconds: bucket.secondsUntilFull(now: seconds))
        }
        return RateLimitSnapshot(
            requests: limit(policy.limits.requestsPerMinute, buckets?.requests), tokens: limit(policy.limits.tokensPerMinute, buckets?.tokens))
    }

    /// Ends the lease renewal and frees this replica's running requests.
    func close() async {
        renewal.cancel()
        _ = try? await rows("DELETE FROM running_requests WHERE replica = \(replica)")
    }

    private func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await PostgresStore.rows(query, client: client, location: location)
    }

    private func rows(_ statement: some LimiterStatement) async throws -> [PostgresRow] {
        do {
            var rows: [PostgresRow] = []
            for try await row in try await clients.current.execute(statement) { rows.append(row) }
            return rows
        } catch {
            throw TernStoreError(.database, "the database \(location) failed: \(PostgresStore.describe(error))")
        }
    }

    private func remember(_ buckets: Buckets, for keyID: String) {
        seen.withLock { $0[keyID] = buckets }
    }

    private static func single(_ rows: [PostgresRow]) throws -> PostgresRandomAccessRow {
        guard let row = rows.first else { throw TernStoreError(.database, "a rate-limit function returned no row") }
        return PostgresRandomAccessRow(row)
    }

    /// A key's two buckets as a function returned them (six columns from `first`: rpm, its level and time, tpm, its
    /// level and time).
    private struct Buckets {
        var requests: TokenBucket?
        var tokens: TokenBucket?

        init(_ row: PostgresRandomAccessRow, from first: Int) throws {
            func bucket(_ column: Int) throws -> TokenBucket? {
                guard let capacity = try row[column].decode(Int?.self), let level = try row[column + 1].decode(Double?.self),
                    let updated = try row[column + 2].decode(Double?.self)
                else { return nil }
                return TokenBucket(capacity: capacity, level: level, updated: updated)
            }
            requests = try bucket(first)
            tokens = try bucket(first + 3)
        }
    }
}
