import Foundation
import PostgresNIO

extension PostgresTokenStore {
    /// Revokes every grant of the client and, like any grant revocation, every grant derived from its
    /// tokens (issue 19: a token exchanged from the client's token dies with it, whoever holds it); withdraws the
    /// consents people gave it and spends its unredeemed codes (L11).
    func revokeTokens(clientID: String, at now: Date) async throws -> Int {
        let millis = now.millis
        let logger = database.logger
        return try await database.transaction { connection in
            let grants = try await connection.rows(
                "SELECT grant_id FROM access_tokens WHERE client_id = \(clientID) UNION SELECT grant_id FROM refresh_tokens WHERE client_id = \(clientID) ORDER BY 1",
                logger: logger
            ) { try $0.decode(String.self) }
            var count = 0
            for grant in grants { count += try await Self.revokeGrant(grant, at: millis, connection, logger) }
            // What people approved for this client ends with it: a client later given the same id is asked again
            // (review round 13, L11), and no code issued to this one is redeemed.
            let consents = try await connection.rows(
                "SELECT id, subject FROM consents WHERE client_id = \(clientID) AND withdrawn_at IS NULL ORDER BY id",
                logger: logger
            ) { try $0.decode((String, String).self) }
            for (id, subject) in consents {
                _ = try await PostgresAuthorizationCodeStore.withdraw(id, subject: subject, at: millis, connection, logger)
            }
            try await connection.run(
                "UPDATE authorization_codes SET used_at = \(millis) WHERE client_id = \(clientID) AND used_at IS NULL",
                logger: logger
            )
            return count
        }
    }
}
