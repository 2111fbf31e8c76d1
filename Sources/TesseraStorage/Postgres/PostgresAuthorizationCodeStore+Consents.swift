import Foundation
import PostgresNIO

/// Remembered consent on PostgreSQL (migration 0010): withdrawing is one `UPDATE … RETURNING`, so
/// it happens once, in one transaction with spending the codes issued under it and revoking its grants.
extension PostgresAuthorizationCodeStore {
    func createConsent(_ consent: ConsentRecord) async throws {
        try await database.run(try consent.insertQuery())
    }

    func consents(subject: String) async throws -> [ConsentRecord] {
        try await database.records(ConsentRecord.self, "WHERE subject = \(subject) AND withdrawn_at IS NULL ORDER BY created_at DESC, id")
    }

    func createCode(_ code: AuthorizationCodeRecord, underConsent consentID: String) async throws -> Bool {
        let logger = database.logger
        return try await database.transaction { connection in
            // Share-locked until this commits: a withdrawal waits, then finds this code and spends it; a withdrawal
            // committed first leaves no row to lock, and no code is created (J5).
            let standing = try await connection.run(
                "SELECT id FROM consents WHERE id = \(consentID) AND withdrawn_at IS NULL FOR SHARE",
                logger: logger
            )
            guard standing == 1 else { return false }
            try await connection.run(
                "INSERT INTO consent_grants (consent_id, grant_id) VALUES (\(consentID), \(code.grantID)) ON CONFLICT DO NOTHING",
                logger: logger
            )
            try await connection.run(try code.insertQuery(), logger: logger)
            return true
        }
    }

    func withdrawConsent(id: String, subject: String, at now: Date) async throws -> [String]? {
        let logger = database.logger
        return try await database.transaction { connection in
            try await Self.withdraw(id, subject: subject, at: now.millis, connection, logger)
        }
    }

    /// Withdraws the consent, spends its unredeemed codes and revokes its grants, in the caller's transaction.
    static func withdraw(
        _ id: String,
        subject: String,
        at millis: Int64,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> [String]? {
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
        let grants = try await connection.rows(
            "SELECT grant_id FROM consent_grants WHERE consent_id = \(id) ORDER BY grant_id",
            logger: logger
        ) {
            try $0.decode(String.self)
        }
        // In this transaction: a redemption committed before it is revoked here, one after it finds its code spent.
        for grant in grants { _ = try await PostgresTokenStore.revokeGrant(grant, at: millis, connection, logger) }
        return grants
    }
}
