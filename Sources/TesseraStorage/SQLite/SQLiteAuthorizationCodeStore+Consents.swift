import Foundation
import GRDB

/// Remembered consent on SQLite (migration 0010).
extension SQLiteAuthorizationCodeStore {
    func createConsent(_ consent: ConsentRecord) async throws {
        try await writer.write { db in try db.insertRow(consent) }
    }

    func consents(subject: String) async throws -> [ConsentRecord] {
        try await writer.read { db in
            try db.records(ConsentRecord.self, "WHERE subject = ? AND withdrawn_at IS NULL ORDER BY created_at DESC, id", [subject])
        }
    }

    func createCode(_ code: AuthorizationCodeRecord, underConsent consentID: String) async throws -> Bool {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM consents WHERE id = ? AND withdrawn_at IS NULL", arguments: [consentID]) != nil
            else { return false }
            try db.execute(
                sql: "INSERT OR IGNORE INTO consent_grants (consent_id, grant_id) VALUES (?, ?)",
                arguments: [consentID, code.grantID]
            )
            try db.insertRow(code)
            return true
        }
    }

    func withdrawConsent(id: String, subject: String, at now: Date) async throws -> [String]? {
        try await writer.write { db in try Self.withdraw(id, subject: subject, at: now, db) }
    }

    /// Withdraws the consent, spends its unredeemed codes and revokes its grants, in the caller's transaction.
    static func withdraw(_ id: String, subject: String, at now: Date, _ db: Database) throws -> [String]? {
        try db.execute(
            sql: "UPDATE consents SET withdrawn_at = ? WHERE id = ? AND subject = ? AND withdrawn_at IS NULL",
            arguments: [now.millis, id, subject]
        )
        guard db.changesCount == 1 else { return nil }
        // A code issued under it and not yet redeemed is spent: redeeming it now is a replay.
        try db.execute(
            sql: """
                UPDATE authorization_codes SET used_at = ?
                WHERE used_at IS NULL AND grant_id IN (SELECT grant_id FROM consent_grants WHERE consent_id = ?)
                """,
            arguments: [now.millis, id]
        )
        let grants = try String.fetchAll(
            db,
            sql: "SELECT grant_id FROM consent_grants WHERE consent_id = ? ORDER BY grant_id",
            arguments: [id]
        )
        for grant in grants { _ = try SQLiteTokenStore.revokeGrant(grant, at: now, db) }
        return grants
    }
}

/// How the consent columns are written on both backends.
enum ConsentColumns {
    static func encode(_ values: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(values)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func decode(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }

    static func scope(_ text: String) -> [String] {
        text.split(separator: " ").map(String.init)
    }
}
