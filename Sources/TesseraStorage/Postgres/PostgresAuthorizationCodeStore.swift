import Foundation
import PostgresNIO

/// ``AuthorizationCodeStore`` on PostgreSQL: every use is one `UPDATE … RETURNING`, so two
/// instances never both accept the same code or `request_uri`.
struct PostgresAuthorizationCodeStore: AuthorizationCodeStore {
    let database: PostgresDatabase
    static let requestColumns = "id_hash, kind, client_id, parameters, created_at, expires_at, used_at"
    static let codeColumns = "code_hash, client_id, grant_id, payload, created_at, expires_at, used_at"

    func createRequest(_ request: AuthorizationRequestRecord) async throws {
        let (createdAt, expiresAt) = (request.createdAt.millis, request.expiresAt.millis)
        try await database.run(
            """
            INSERT INTO authorization_requests (id_hash, kind, client_id, parameters, created_at, expires_at)
            VALUES (\(request.idHash), \(request.kind), \(request.clientID), \(request.parameters), \(createdAt), \(expiresAt))
            """
        )
    }

    func request(idHash: String, at now: Date) async throws -> AuthorizationRequestRecord? {
        let millis = now.millis
        return try await database.first(
            """
            SELECT \(unescaped: Self.requestColumns) FROM authorization_requests
            WHERE id_hash = \(idHash) AND used_at IS NULL AND expires_at > \(millis)
            """,
            Self.request
        )
    }

    func consumeRequest(idHash: String, at now: Date) async throws -> AuthorizationRequestRecord? {
        let millis = now.millis
        return try await database.first(
            """
            UPDATE authorization_requests SET used_at = \(millis)
            WHERE id_hash = \(idHash) AND used_at IS NULL AND expires_at > \(millis)
            RETURNING \(unescaped: Self.requestColumns)
            """,
            Self.request
        )
    }

    func createCode(_ code: AuthorizationCodeRecord) async throws {
        let (createdAt, expiresAt) = (code.createdAt.millis, code.expiresAt.millis)
        try await database.run(
            """
            INSERT INTO authorization_codes (code_hash, client_id, grant_id, payload, created_at, expires_at)
            VALUES (\(code.codeHash), \(code.clientID), \(code.grantID), \(code.payload), \(createdAt), \(expiresAt))
            """
        )
    }

    func redeemCode(hash: String, at now: Date) async throws -> CodeRedemption {
        let millis = now.millis
        return try await database.withConnection { connection in
            let redeemed = try await connection.rows(
                """
                UPDATE authorization_codes SET used_at = \(millis)
                WHERE code_hash = \(hash) AND used_at IS NULL AND expires_at > \(millis)
                RETURNING \(unescaped: Self.codeColumns)
                """,
                logger: database.logger,
                Self.code
            )
            if let redeemed = redeemed.last { return .redeemed(redeemed) }
            let existing = try await connection.rows(
                "SELECT \(unescaped: Self.codeColumns) FROM authorization_codes WHERE code_hash = \(hash)",
                logger: database.logger,
                Self.code
            )
            guard let existing = existing.last, existing.usedAt != nil else { return .invalid }
            return .replayed(existing)
        }
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

    static func request(_ row: PostgresRow) throws -> AuthorizationRequestRecord {
        let (idHash, kind, clientID, parameters, createdAt, expiresAt, usedAt) = try row.decode(
            (String, String, String, String, Int64, Int64, Int64?).self
        )
        return AuthorizationRequestRecord(
            idHash: idHash,
            kind: kind,
            clientID: clientID,
            parameters: parameters,
            createdAt: Date(millis: createdAt),
            expiresAt: Date(millis: expiresAt),
            usedAt: usedAt.map(Date.init(millis:))
        )
    }

    static func code(_ row: PostgresRow) throws -> AuthorizationCodeRecord {
        let (codeHash, clientID, grantID, payload, createdAt, expiresAt, usedAt) = try row.decode(
            (String, String, String, String, Int64, Int64, Int64?).self
        )
        return AuthorizationCodeRecord(
            codeHash: codeHash,
            clientID: clientID,
            grantID: grantID,
            payload: payload,
            createdAt: Date(millis: createdAt),
            expiresAt: Date(millis: expiresAt),
            usedAt: usedAt.map(Date.init(millis:))
        )
    }
}
