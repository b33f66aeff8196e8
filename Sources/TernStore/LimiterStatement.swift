import PostgresNIO

/// A call of one of the limiter's functions as a statement prepared once per connection: PostgreSQL parses and plans
/// it once instead of on every request. Rows come back as they are; ``PostgresRateLimitState`` reads their columns.
protocol LimiterStatement: PostgresPreparedStatement where Row == PostgresRow {
    /// The values of the statement's parameters, in order (nil for SQL NULL).
    var values: [(any PostgresEncodable & Sendable)?] { get }
}

extension LimiterStatement {
    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            if let value { try bindings.append(value) } else { bindings.appendNull() }
        }
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// `tern_admit` (``PostgresStore/migrations``): a concurrency slot and one request from the per-minute bucket.
struct AdmitStatement: LimiterStatement {
    static let sql = "SELECT * FROM tern_admit($1, $2, $3, $4, $5, $6)"
    static let bindingDataTypes: [PostgresDataType] = [.text, .int8, .int8, .text, .float8, .float8]
    var values: [(any PostgresEncodable & Sendable)?]
}

/// `tern_reserve`: a running request's tokens against the per-minute bucket and the budget.
struct ReserveStatement: LimiterStatement {
    static let sql = "SELECT * FROM tern_reserve($1, $2, $3, $4, $5, $6, $7)"
    static let bindingDataTypes: [PostgresDataType] = [.text, .int8, .int8, .int8, .int8, .int8, .float8]
    var values: [(any PostgresEncodable & Sendable)?]
}

/// `tern_admit_reserve`: both at once.
struct AdmitReserveStatement: LimiterStatement {
    static let sql = "SELECT * FROM tern_admit_reserve($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    static let bindingDataTypes: [PostgresDataType] = [.text, .int8, .int8, .text, .float8, .float8, .int8, .int8, .int8, .int8]
    var values: [(any PostgresEncodable & Sendable)?]
}

/// `tern_finish`: the end of a request, its slot freed and its reservation settled.
struct FinishStatement: LimiterStatement {
    static let sql = "SELECT * FROM tern_finish($1, $2, $3, $4, $5, $6, $7)"
    static let bindingDataTypes: [PostgresDataType] = [.text, .int8, .int8, .int8, .int8, .int8, .float8]
    var values: [(any PostgresEncodable & Sendable)?]
}

/// `tern_finish_record`: `tern_finish`, committed, then the request's ledger row (the key's, `$1`) in a transaction of
/// its own; one round trip. Its one row is `tern_finish`'s (all NULL where that returned none).
struct FinishRecordStatement: LimiterStatement {
    static let sql = "CALL tern_finish_record($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, NULL, NULL, NULL, NULL, NULL)"
    static let bindingDataTypes: [PostgresDataType] = FinishStatement.bindingDataTypes + [.text, .text] + Array(repeating: .int8, count: 6)
    var values: [(any PostgresEncodable & Sendable)?]

    /// The call with `tern_finish`'s values, then `record`'s columns.
    init(finish: [(any PostgresEncodable & Sendable)?], record: UsageRecord) {
        values =
            finish + [
                record.model, record.endpoint, record.status, record.promptTokens, record.cachedTokens, record.completionTokens,
                StoredKeyColumns.milliseconds(record.startedAt), StoredKeyColumns.milliseconds(record.finishedAt),
            ]
    }
}
