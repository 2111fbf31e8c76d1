import Foundation
import PostgresNIO

/// Remembered consent on PostgreSQL (migration 0010): withdrawing is one `UPDATE … RETURNING`, so
/// it happens once, in one transaction with spending the codes issued under it.
extension PostgresAuthorizationCodeStore {
    func createConsent(_ consent: ConsentRecord) async throws {
        try await database.run(try consent.insertQuery())
    }

    func consents(subject: String) async throws -> [ConsentRecord] {
        try await database.records(ConsentRecord.self, "WHERE subject = \(subject) AND withdrawn_at IS NULL ORDER BY created_at DESC, id")
    }

    func linkConsent(id consentID: String, grantID: String) async throws {
        try await database.run("INSERT INTO consent_grants (consent_id, grant_id) VALUES (\(consentID), \(grantID)) ON CONFLICT DO NOTHING")
    }

    func withdrawConsent(id: String, subject: String, at now: Date) async throws -> [String]? {
        let millis = now.millis
        let logger = database.logger
        return try await database.transaction { connection in
            let withdrawn = try await connection.run(
                """
                UPDATE consents SET withdrawn_at = \(millis)
                WHERE id = \(id) AND subject = \(subject) AND withdrawn_at IS NULL RETURNING id
                """,
                logger: logger
            )
            guard withdrawn > 0 else { return nil }
            // A code issued under it and not yet redeemed is spent: redeeming it now is a replay.
            try await connection.run(
                """
                UPDATE authorization_codes SET used_at = \(millis)
                WHERE used_at IS NULL AND grant_id IN (SELECT grant_id FROM consent_grants WHERE consent_id = \(id))
                RETURNING code_hash
                """,
                logger: logger
            )
            return try await connection.rows(
                "SELECT grant_id FROM consent_grants WHERE consent_id = \(id) ORDER BY grant_id",
                logger: logger
            ) {
                try $0.decode(String.self)
            }
        }
    }
}
