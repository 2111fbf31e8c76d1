import Foundation
import PostgresNIO

/// ``AuthorizationCodeStore`` on PostgreSQL: every use is one `UPDATE … RETURNING`, so two
/// instances never both accept the same code or `request_uri`.
struct PostgresAuthorizationCodeStore: AuthorizationCodeStore {
    let database: PostgresDatabase

    func createRequest(_ request: AuthorizationRequestRecord) async throws {
        try await database.run(try request.insertQuery())
    }

    func request(idHash: String, at now: Date) async throws -> AuthorizationRequestRecord? {
        let millis = now.millis
        return try await database.record(
            AuthorizationRequestRecord.self,
            "WHERE id_hash = \(idHash) AND used_at IS NULL AND expires_at > \(millis)"
        )
    }

    func consumeRequest(idHash: String, at now: Date) async throws -> AuthorizationRequestRecord? {
        let millis = now.millis
        return try await database.first(
            """
            UPDATE authorization_requests SET used_at = \(millis)
            WHERE id_hash = \(idHash) AND used_at IS NULL AND expires_at > \(millis)
            RETURNING \(unescaped: AuthorizationRequestRecord.columns)
            """,
            AuthorizationRequestRecord.init(postgres:)
        )
    }

    func createCode(_ code: AuthorizationCodeRecord) async throws {
        try await database.run(try code.insertQuery())
    }

    func code(hash: String, at now: Date) async throws -> AuthorizationCodeRecord? {
        let millis = now.millis
        return try await database.first(
            """
            SELECT \(unescaped: AuthorizationCodeRecord.columns) FROM authorization_codes
            WHERE code_hash = \(hash) AND used_at IS NULL AND expires_at > \(millis)
            """,
            AuthorizationCodeRecord.init(postgres:)
        )
    }

    func redeemCode(hash: String, at now: Date) async throws -> CodeRedemption {
        let millis = now.millis
        return try await database.withConnection { connection in
            let redeemed = try await connection.rows(
                """
                UPDATE authorization_codes SET used_at = \(millis)
                WHERE code_hash = \(hash) AND used_at IS NULL AND expires_at > \(millis)
                RETURNING \(unescaped: AuthorizationCodeRecord.columns)
                """,
                logger: database.logger,
                AuthorizationCodeRecord.init(postgres:)
            )
            if let redeemed = redeemed.last { return .redeemed(redeemed) }
            let existing = try await connection.records(AuthorizationCodeRecord.self, "WHERE code_hash = \(hash)", logger: database.logger)
            guard let existing = existing.last, existing.usedAt != nil else { return .invalid }
            return .replayed(existing)
        }
    }

    /// Marks the code used when it is unused and unexpired at `millis`. - Returns: whether it was.
    static func redeem(_ hash: String, at millis: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws -> Bool {
        try await connection.run(
            """
            UPDATE authorization_codes SET used_at = \(millis)
            WHERE code_hash = \(hash) AND used_at IS NULL AND expires_at > \(millis) RETURNING code_hash
            """,
            logger: logger
        ) == 1
    }

    func deleteExpiredAuthorizations(before cutoff: Date) async throws -> Int {
        let millis = cutoff.millis
        return try await database.withConnection { connection in
            let requests = try await connection.run(
                "DELETE FROM authorization_requests WHERE expires_at < \(millis) RETURNING id_hash",
                logger: database.logger
            )
            let codes = try await connection.run(
                "DELETE FROM authorization_codes WHERE expires_at < \(millis) RETURNING code_hash",
                logger: database.logger
            )
            return requests + codes
        }
    }
}
