import Foundation

/// A parsed `postgres://` (or `postgresql://`) database URL.
///
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=disable&schema=NAME&max_connections=16&request_timeout=3`
///
/// - `sslmode`: `disable`, `prefer` (default, as libpq) or `require`.
/// - `schema`: keep Tessera's tables in this schema (created if missing) instead of `public`.
/// - `max_connections`: the pool's size (default 16).
/// - `request_timeout`: seconds a store call may take before it fails as unavailable (default 3).
/// - `connect_timeout`: seconds to open one connection (default 3).
/// - `statement_timeout`: seconds the server lets one statement run (default 10).
struct PostgresURL: Sendable, Hashable {
    enum TLSMode: String, Sendable { case disable, prefer, require }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var tls: TLSMode = .prefer
    var schema: String?
    var maxConnections = 16
    var requestTimeout: Duration = .seconds(3)
    var connectTimeout: Duration = .seconds(3)
    var statementTimeout: Duration = .seconds(10)

    /// Whether `url` names PostgreSQL (by scheme), whatever else it holds.
    static func matches(_ url: String) -> Bool {
        let lowered = url.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    /// - Throws: ``StorageError`` `invalidURL`; the message never repeats the password.
    init(_ url: String) throws {
        guard Self.matches(url), let components = URLComponents(string: url) else {
            throw StorageError(.invalidURL, "not a postgres:// URL: \(Self.redact(url))")
        }
        guard let host = components.host, !host.isEmpty else {
            throw StorageError(.invalidURL, "postgres URL needs a host: \(Self.redact(url))")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StorageError(.invalidURL, "postgres URL needs a user name: \(Self.redact(url))")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw StorageError(.invalidURL, "postgres URL needs a database name after the host: \(Self.redact(url))")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw StorageError(.invalidURL, "sslmode must be disable, prefer or require, not '\(value)'")
                }
                tls = mode
            case "schema":
                guard Self.isPlainIdentifier(value) else {
                    throw StorageError(.invalidURL, "schema must be a lowercase identifier ([a-z_][a-z0-9_]*, at most 63 characters)")
                }
                schema = value
            case "max_connections":
                guard let count = Int(value), (1...1000).contains(count) else {
                    throw StorageError(.invalidURL, "max_connections must be between 1 and 1000")
                }
                maxConnections = count
            case "request_timeout", "connect_timeout", "statement_timeout":
                guard let seconds = Double(value), seconds > 0, seconds <= 3600 else {
                    throw StorageError(.invalidURL, "\(item.name) must be a number of seconds between 0 and 3600")
                }
                let duration = Duration.milliseconds(Int64(seconds * 1000))
                if item.name == "request_timeout" { requestTimeout = duration }
                if item.name == "connect_timeout" { connectTimeout = duration }
                if item.name == "statement_timeout" { statementTimeout = duration }
            default:
                throw StorageError(.invalidURL, "unknown postgres URL parameter '\(item.name)'")
            }
        }
    }

    /// The URL for logs: no password, no query.
    var displayName: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(username)@\(hostPart):\(port)/\(database)" + (schema.map { "?schema=\($0)" } ?? "")
    }

    /// Replaces the password in any URL-looking text, for error messages about URLs that did not parse.
    static func redact(_ url: String) -> String {
        guard let components = URLComponents(string: url), components.password != nil else {
            // Unparseable: keep only the scheme, which cannot hold a secret.
            if let range = url.range(of: "://") { return String(url[..<range.upperBound]) + "…" }
            return "…"
        }
        var copy = components
        copy.password = "***"
        return copy.string ?? "…"
    }

    /// A schema name safe to write into DDL without quoting: the only identifier that is ever spliced.
    static func isPlainIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= 63 else { return false }
        let lower = Unicode.Scalar("a").value...Unicode.Scalar("z").value
        let digits = Unicode.Scalar("0").value...Unicode.Scalar("9").value
        guard lower.contains(first.value) || first == "_" else { return false }
        return text.unicodeScalars.allSatisfy { lower.contains($0.value) || digits.contains($0.value) || $0 == "_" }
    }
}
