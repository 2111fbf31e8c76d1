import Foundation
import GRDB

/// ``AuthorizationCodeStore`` on SQLite.
struct SQLiteAuthorizationCodeStore: AuthorizationCodeStore {
    let writer: any DatabaseWriter

    func createRequest(_ request: AuthorizationRequestRecord) async throws {
        try await writer.write { db in try db.insertRow(request) }
    }

    func request(idHash: String, at now: Date) async throws -> AuthorizationRequestRecord? {
        try await writer.read { db in
            try db.record(
                AuthorizationRequestRecord.self,
                "WHERE id_hash = ? AND used_at IS NULL AND expires_at > ?",
                [idHash, now.millis]
            )
        }
    }

    func consumeRequest(idHash: String, at now: Date) async throws -> AuthorizationRequestRecord? {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE authorization_requests SET used_at = ? WHERE id_hash = ? AND used_at IS NULL AND expires_at > ?",
                arguments: [now.millis, idHash, now.millis]
            )
            guard db.changesCount == 1 else { return nil }
            return try db.record(AuthorizationRequestRecord.self, "WHERE id_hash = ?", [idHash])
        }
    }

    func createCode(_ code: AuthorizationCodeRecord) async throws {
        try await writer.write { db in try db.insertRow(code) }
    }

    func code(hash: String, at now: Date) async throws -> AuthorizationCodeRecord? {
        try await writer.read { db in
            try Row.fetchOne(
                db,
                sql:
                    "SELECT \(AuthorizationCodeRecord.columns) FROM authorization_codes WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
                arguments: [hash, now.millis]
            ).map(AuthorizationCodeRecord.init(row:))
        }
    }

    func redeemCode(hash: String, at now: Date) async throws -> CodeRedemption {
        try await writer.write { db in
            let changed = try Self.redeem(hash, at: now, db)
            guard
                let record = try db.record(AuthorizationCodeRecord.self, "WHERE code_hash = ?", [hash])
            else { return .invalid }
            if changed { return .redeemed(record) }
            return record.usedAt == nil ? .invalid : .replayed(record)
        }
    }

    /// Marks the code used when it is unused and unexpired at `now`. - Returns: whether it was.
    static func redeem(_ hash: String, at now: Date, _ db: Database) throws -> Bool {
        try db.execute(
            sql: "UPDATE authorization_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
            arguments: [now.millis, hash, now.millis]
        )
        return db.changesCount == 1
    }

    func deleteExpiredAuthorizations(before cutoff: Date) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM authorization_requests WHERE expires_at < ?", arguments: [cutoff.millis])
            var count = db.changesCount
            try db.execute(sql: "DELETE FROM authorization_codes WHERE expires_at < ?", arguments: [cutoff.millis])
            count += db.changesCount
            return count
        }
    }
}
