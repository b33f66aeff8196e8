import Foundation
import PostgresNIO

/// Ledger rows written together, as one prepared `INSERT` of the columns as arrays: the same statement for any number
/// of rows, parsed and planned once per connection.
struct LedgerInsertStatement: PostgresPreparedStatement {
    typealias Row = Void

    static let sql = """
        INSERT INTO usage (key_id, model, endpoint, status, prompt_tokens, cached_tokens, completion_tokens, started_at, finished_at, duration_ms)
        SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[], $6::BIGINT[], $7::BIGINT[], $8::BIGINT[],
            $9::BIGINT[], $10::BIGINT[])
        """
    static let bindingDataTypes: [PostgresDataType] = [.textArray, .textArray, .textArray] + Array(repeating: .int8Array, count: 7)

    let entries: [UsageRecord]

    func makeBindings() throws -> PostgresBindings {
        let started = entries.map { StoredKeyColumns.milliseconds($0.startedAt) }
        let finished = entries.map { StoredKeyColumns.milliseconds($0.finishedAt) }
        var bindings = PostgresBindings(capacity: 10)
        bindings.append(entries.map(\.keyID))
        bindings.append(entries.map(\.model))
        bindings.append(entries.map(\.endpoint))
        bindings.append(entries.map(\.status))
        bindings.append(entries.map(\.promptTokens))
        bindings.append(entries.map(\.cachedTokens))
        bindings.append(entries.map(\.completionTokens))
        bindings.append(started)
        bindings.append(finished)
        bindings.append(zip(started, finished).map { max(0, $1 - $0) })
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}
