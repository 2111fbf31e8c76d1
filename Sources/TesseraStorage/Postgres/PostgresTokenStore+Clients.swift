import Foundation
import PostgresNIO

extension PostgresTokenStore {
    /// Revokes every grant of the client and, like any grant revocation, every grant derived from its
    /// tokens (issue 19: a token exchanged from the client's token dies with it, whoever holds it).
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
            return count
        }
    }
}
