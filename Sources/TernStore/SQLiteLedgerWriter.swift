import Foundation
import Synchronization
import VaporCSQLite

/// Appends ledger rows to an SQLite file from a thread of its own, through statements prepared once.
///
/// Every request with a key ends with a durable ledger row, so this is on the path of every answer. Through
/// SQLiteNIO a row would take a hop to NIO's blocking pool (shared with key lookups), one to an event loop and one
/// back to the caller, and a parse of its SQL; here the caller's continuation goes to the writer thread, which resumes
/// it once the row is on disk. The rows that arrive while a batch is written go together in the next one: one
/// transaction, one sync of the disk.
final class SQLiteLedgerWriter: Sendable {
    private struct Waiting {
        let record: UsageRecord
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        /// The writer is waiting for `wake`: the next row signals it.
        var sleeping = false
        /// Set by ``close()``: rows already queued are written, new ones are refused.
        var closing = false
        /// The thread has ended and the connection is closed.
        var closed = false
        /// Callers of ``close()`` waiting for the thread to end.
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let maxBatch: Int

    /// Opens a connection of its own to the database at `path` (whose `usage` table exists) and starts its thread.
    init(path: String, maxBatch: Int = 500) throws {
        precondition(maxBatch >= 1)
        self.maxBatch = maxBatch
        let connection = try LedgerConnection(path: path)
        let thread = Thread { [self] in run(connection) }
        thread.name = "tern-ledger"
        thread.start()
    }

    /// Returns once `record` is committed and synced to disk; throws what its batch's write threw.
    func record(_ record: UsageRecord) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let (accepted, signal) = state.withLock { state -> (Bool, Bool) in
                guard !state.closing else { return (false, false) }
                state.queue.append(Waiting(record: record, continuation: continuation))
                defer { state.sleeping = false }
                return (true, state.sleeping)
            }
            if signal { wake.signal() }
            if !accepted { continuation.resume(throwing: TernStoreError(.database, "the usage ledger is closed")) }
        }
    }

    /// Writes what is queued, stops the thread and closes its connection; returns when that is done.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (closed, signal) = state.withLock { state -> (Bool, Bool) in
                guard !state.closed else { return (true, false) }
                state.closing = true
                state.closeWaiters.append(continuation)
                defer { state.sleeping = false }
                return (false, state.sleeping)
            }
            if signal { wake.signal() }
            if closed { continuation.resume() }
        }
    }

    private func run(_ connection: LedgerConnection) {
        while true {
            let next: [Waiting]? = state.withLock { state in
                if state.queue.isEmpty {
                    if state.closing { return nil }
                    state.sleeping = true
                    return []
                }
                let batch = Array(state.queue.prefix(maxBatch))
                state.queue.removeFirst(batch.count)
                return batch
            }
            guard let batch = next else { break }
            if batch.isEmpty {
                wake.wait()
                continue
            }
            let result = Result { try connection.insert(batch.lazy.map(\.record)) }
            for waiting in batch { waiting.continuation.resume(with: result) }
        }
        connection.close()
        let waiters = state.withLock { state in
            state.closed = true
            return state.closeWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// The writer thread's SQLite connection and its three statements; used by that thread only.
private final class LedgerConnection: @unchecked Sendable {
    private var database: OpaquePointer?
    private var begin: OpaquePointer?
    private var insert: OpaquePointer?
    private var commit: OpaquePointer?
    private var rollback: OpaquePointer?

    init(path: String) throws {
        guard sqlite_nio_sqlite3_open_v2(path, &database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            let message = database.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite_nio_sqlite3_close(database)
            throw TernStoreError(.database, "cannot open the usage ledger \(path): \(message)")
        }
        do {
            // Another connection (keys, stored responses, another process) may hold the write lock for a moment.
            sqlite_nio_sqlite3_busy_timeout(database, 10_000)
            // Per connection: a commit is on disk when it returns.
            try execute("PRAGMA synchronous=FULL")
            begin = try prepare("BEGIN IMMEDIATE")
            insert = try prepare(
                """
                INSERT INTO usage (key_id, model, endpoint, status, prompt_tokens, cached_tokens, completion_tokens, started_at, \
                finished_at, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            commit = try prepare("COMMIT")
            rollback = try prepare("ROLLBACK")
        } catch {
            close()
            throw error
        }
    }

    /// Inserts `records` in one transaction; all or none.
    func insert(_ records: some Sequence<UsageRecord>) throws {
        // A transaction a failed ROLLBACK left open would refuse every BEGIN: end it first.
        if sqlite_nio_sqlite3_get_autocommit(database) == 0 {
            _ = sqlite_nio_sqlite3_step(rollback)
            sqlite_nio_sqlite3_reset(rollback)
        }
        try step(begin)
        do {
            for record in records {
                let started = SQLiteStore.milliseconds(record.startedAt)
                let finished = SQLiteStore.milliseconds(record.finishedAt)
                bind(1, record.keyID)
                bind(2, record.model)
                bind(3, record.endpoint)
                bind(4, record.status)
                bind(5, record.promptTokens)
                bind(6, record.cachedTokens)
                bind(7, record.completionTokens)
                bind(8, started)
                bind(9, finished)
                bind(10, max(0, finished - started))
                try step(insert)
            }
            try step(commit)
        } catch {
            // Nothing of a failed batch stays; a failed COMMIT has already rolled back, so this one may fail too.
            _ = sqlite_nio_sqlite3_step(rollback)
            sqlite_nio_sqlite3_reset(rollback)
            throw error
        }
    }

    func close() {
        for statement in [begin, insert, commit, rollback] { sqlite_nio_sqlite3_finalize(statement) }
        (begin, insert, commit, rollback) = (nil, nil, nil, nil)
        sqlite_nio_sqlite3_close(database)
        database = nil
    }

    private func bind(_ index: Int32, _ text: String) {
        // SQLITE_TRANSIENT: SQLite copies the text before the call returns.
        sqlite_nio_sqlite3_bind_text(insert, index, text, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
    }

    private func bind(_ index: Int32, _ number: Int) {
        sqlite_nio_sqlite3_bind_int64(insert, index, Int64(number))
    }

    /// Runs `statement` to its end and resets it for the next use.
    private func step(_ statement: OpaquePointer?) throws {
        let result = sqlite_nio_sqlite3_step(statement)
        sqlite_nio_sqlite3_reset(statement)
        guard result == SQLITE_DONE else { throw failure() }
    }

    private func prepare(_ sql: String) throws -> OpaquePointer? {
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v3(database, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK else {
            throw failure()
        }
        return statement
    }

    private func execute(_ sql: String) throws {
        guard sqlite_nio_sqlite3_exec(database, sql, nil, nil, nil) == SQLITE_OK else { throw failure() }
    }

    private func failure() -> TernStoreError {
        TernStoreError(.database, "cannot write the usage ledger: \(String(cString: sqlite_nio_sqlite3_errmsg(database)))")
    }
}
