import ArgumentParser
import Foundation
import TernStore

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys; show what each key used.",
        discussion: """
            Keys live in the data folder (--data-dir, or TERN_DATA_DIR), next to the usage ledger, or in the PostgreSQL \
            database of a group of servers (--database, or TERN_DATABASE_URL). These commands work while `tern serve` \
            runs on the same folder or database: a new key works at once, a revoked one stops at once. Keys are stored \
            only as SHA-256 hashes; a new key is shown once.

            Examples:
              export TERN_API_KEY=$(tern keys create --name laptop)
              tern keys create --name ci --models gpt-4 --rpm 60 --tpm 20000 --budget-tokens 1000000 --budget-period month
              tern keys create --name ops --admin --expires 2027-01-01
              tern keys list
              tern keys revoke ci
              tern keys usage --json
            """,
        subcommands: [KeysCreateCommand.self, KeysListCommand.self, KeysRevokeCommand.self, KeysUsageCommand.self]
    )
}

struct KeysCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a key and print it (to standard output, this once).",
        discussion:
            "Limits left out use the server's defaults (tern serve --rpm, --tpm). Budgets count prompt plus completion tokens per UTC day or month."
    )

    @OptionGroup var data: DataOptions

    @Option(name: .long, help: "A unique name (letters, digits, - _ . @). Default: the key's id.")
    var name: String?

    @Flag(name: .long, help: "The key may also use the admin API (/admin/...).")
    var admin = false

    @Option(name: .long, help: ArgumentHelp("Models the key may use, comma-separated. Default: all.", valueName: "a,b"))
    var models: String?

    @Option(name: .long, help: "Requests per minute.")
    var rpm: Int?

    @Option(name: .long, help: "Tokens (prompt plus max completion) per minute.")
    var tpm: Int?

    @Option(name: .long, help: "Requests running at once.")
    var maxConcurrent: Int?

    @Option(name: .long, help: "Tokens per budget period.")
    var budgetTokens: Int?

    @Option(name: .long, help: "day or month (UTC). Default: month.")
    var budgetPeriod: String?

    @Option(name: .long, help: ArgumentHelp("When the key stops working: 2027-01-01 (00:00 UTC) or 2027-01-01T12:00:00Z.", valueName: "DATE"))
    var expires: String?

    @Flag(name: .long, help: "Print the key's record and the key as JSON.")
    var json = false

    func validate() throws {
        if budgetPeriod != nil, budgetTokens == nil { throw ValidationError("--budget-period needs --budget-tokens") }
        if let budgetPeriod, BudgetPeriod(rawValue: budgetPeriod) == nil { throw ValidationError("--budget-period must be day or month") }
        if let expires {
            guard let date = KeyDates.parse(expires) else {
                throw ValidationError("--expires \(expires): give a date like 2027-01-01 or a time like 2027-01-01T12:00:00Z")
            }
            guard date > Date() else { throw ValidationError("--expires \(expires) has passed: a key must expire in the future") }
        }
    }

    func run() async throws {
        let new = NewAPIKey(
            name: name, isAdmin: admin, models: models.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
            limits: KeyLimits(requestsPerMinute: rpm, tokensPerMinute: tpm, maxConcurrent: maxConcurrent),
            budget: budgetTokens.map { TokenBudget(tokens: $0, period: budgetPeriod.flatMap(BudgetPeriod.init(rawValue:)) ?? .month) },
            expiresAt: expires.flatMap(KeyDates.parse))
        let store = try await data.open()
        let created: CreatedAPIKey
        do {
            created = try await store.create(new)
        } catch let error as TernStoreError {
            try? await store.close()
            throw CommandError(error.message)
        }
        try? await store.close()
        if json {
            var object = try JSONSerialization.jsonObject(with: TernStoreJSON.encoder.encode(created.key)) as? [String: Any] ?? [:]
            object["key"] = created.secret.value
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(created.secret.value)
            printError(
                "Created key '\(created.key.name)' (\(created.key.id)). This is the only time it is shown; clients send it as 'Authorization: Bearer KEY'."
            )
        }
    }
}

struct KeysListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List every key (revoked ones too); never the secrets.")

    @OptionGroup var data: DataOptions

    @Flag(name: .long, help: "Print a JSON array.")
    var json = false

    func run() async throws {
        let store = try await data.open()
        let keys: [APIKey]
        do {
            keys = try await store.keys()
            try await store.close()
        } catch {
            try? await store.close()
            throw CommandError("cannot read the keys: \(error)")
        }
        if json {
            print(String(decoding: try TernStoreJSON.encoder.encode(keys), as: UTF8.self))
            return
        }
        let now = Date()
        var rows = [["ID", "NAME", "KEY", "ADMIN", "MODELS", "RPM", "TPM", "CONCURRENT", "BUDGET", "EXPIRES", "STATUS"]]
        for key in keys {
            let status = key.revokedAt != nil ? "revoked" : key.isActive(at: now) ? "active" : "expired"
            rows.append([
                key.id, key.name, key.prefix + "…", key.isAdmin ? "yes" : "", key.models?.joined(separator: ",") ?? "all",
                key.limits.requestsPerMinute.map(String.init) ?? "default", key.limits.tokensPerMinute.map(String.init) ?? "default",
                key.limits.maxConcurrent.map(String.init) ?? "default", key.budget.map { "\($0.tokens)/\($0.period.rawValue)" } ?? "",
                key.expiresAt.map(KeyDates.format) ?? "", status,
            ])
        }
        printTable(rows)
    }
}

struct KeysRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a key by id or name; a running server refuses it from its next request.")

    @OptionGroup var data: DataOptions

    @Argument(help: "The key's id (key_…) or name.")
    var key: String

    func run() async throws {
        let store = try await data.open()
        do {
            let revoked = try await store.revoke(key)
            try await store.close()
            printError("Revoked key '\(revoked.name)' (\(revoked.id)).")
        } catch let error as TernStoreError {
            try? await store.close()
            throw CommandError(error.message)
        }
    }
}

struct KeysUsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage", abstract: "Requests and tokens per key, from the usage ledger (one row per request).")

    @OptionGroup var data: DataOptions

    @Option(name: .long, help: ArgumentHelp("Only requests finished from this date or time on.", valueName: "DATE"))
    var since: String?

    @Flag(name: .long, help: "Print a JSON array, one object per key.")
    var json = false

    func validate() throws {
        if let since, KeyDates.parse(since) == nil { throw ValidationError("--since \(since): give a date like 2026-11-01") }
    }

    func run() async throws {
        let store = try await data.open()
        let usage: [KeyUsage]
        do {
            usage = try await store.usage(since: since.flatMap(KeyDates.parse))
            try await store.close()
        } catch {
            try? await store.close()
            throw CommandError("cannot read the usage ledger: \(error)")
        }
        if json {
            print(String(decoding: try TernStoreJSON.encoder.encode(usage), as: UTF8.self))
            return
        }
        var rows = [["ID", "NAME", "REQUESTS", "FAILED", "PROMPT", "CACHED", "COMPLETION"]]
        for entry in usage {
            rows.append([
                entry.id, entry.name, "\(entry.requests)", "\(entry.failedRequests)", "\(entry.promptTokens)", "\(entry.cachedTokens)",
                "\(entry.completionTokens)",
            ])
        }
        printTable(rows)
    }
}

/// Dates typed on the command line.
enum KeyDates {
    /// `2027-01-01` (00:00 UTC) or an ISO 8601 time such as `2027-01-01T12:00:00Z`.
    static func parse(_ text: String) -> Date? {
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        return day.date(from: text)
    }

    static func format(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}

/// Prints rows as left-aligned columns.
func printTable(_ rows: [[String]]) {
    guard let first = rows.first else { return }
    let widths = (0..<first.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
        let cells = row.enumerated().map { index, cell in cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }
        print(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
    }
}
