import Foundation
import NIOSSL
import PostgresNIO

/// Where a `postgres://` URL points, and how to log in.
///
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE`; `sslmode` is `disable`, `prefer` (the default, as libpq's) or
/// `require`; `host=/dir` in the query connects through the Unix socket in that folder.
struct PostgresTarget {
    /// As libpq's sslmode: `prefer` and `require` encrypt without checking the certificate; `verify-ca` checks it
    /// against the system's authorities, `verify-full` the host name too.
    enum Security {
        case disable, prefer, require, verifyCA, verifyFull

        /// The TLS settings; nil for none.
        var tls: TLSConfiguration? {
            var tls = TLSConfiguration.makeClientConfiguration()
            switch self {
            case .disable: return nil
            case .prefer, .require: tls.certificateVerification = .none
            case .verifyCA: tls.certificateVerification = .noHostnameVerification
            case .verifyFull: tls.certificateVerification = .fullVerification
            }
            return tls
        }
    }

    var host: String
    var port: Int
    var socketFolder: String?
    var user: String
    var password: String?
    var database: String
    var security: Security
    /// The URL without its password, for messages.
    var location: String

    init(url: String) throws {
        guard PostgresStore.isURL(url), let parts = URLComponents(string: url) else {
            // Not quoted: it may hold a password.
            throw TernStoreError(
                .invalidValue,
                "the database URL cannot be read; write postgres://USER:PASSWORD@HOST:PORT/DATABASE, with the password percent-encoded")
        }
        guard let user = parts.percentEncodedUser.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw TernStoreError(.invalidValue, "the PostgreSQL URL names no user; write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        var query: [String: String] = [:]
        for item in parts.queryItems ?? [] { query[item.name] = item.value ?? "" }
        switch query["sslmode"] ?? "prefer" {
        case "disable": security = .disable
        case "prefer", "allow": security = .prefer
        case "require": security = .require
        case "verify-ca": security = .verifyCA
        case "verify-full": security = .verifyFull
        case let mode: throw TernStoreError(.invalidValue, "sslmode=\(mode) is not known; use disable, prefer, require, verify-ca or verify-full")
        }
        self.user = user
        password = parts.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        host = parts.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        port = parts.port ?? 5432
        socketFolder = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        let path = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        database = path.isEmpty ? user : path
        var shown = parts
        shown.password = nil
        location = shown.string ?? "postgres://"
    }

    private var socketPath: String? { socketFolder.map { "\($0)/.s.PGSQL.\(port)" } }

    /// The configuration of one connection.
    func connection() throws -> PostgresConnection.Configuration {
        if let socketPath { return .init(unixSocketPath: socketPath, username: user, password: password, database: database) }
        let tls: PostgresConnection.Configuration.TLS
        switch (security, security.tls) {
        case (_, nil): tls = .disable
        case (.prefer, let settings?): tls = .prefer(try NIOSSLContext(configuration: settings))
        case (_, let settings?): tls = .require(try NIOSSLContext(configuration: settings))
        }
        return .init(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// The configuration of the pool.
    func client() throws -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketPath {
            configuration = .init(unixSocketPath: socketPath, username: user, password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            switch (security, security.tls) {
            case (_, nil): tls = .disable
            case (.prefer, let settings?): tls = .prefer(settings)
            case (_, let settings?): tls = .require(settings)
            }
            configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        return configuration
    }
}
