import Foundation
import PostgresNIO

extension PostgresTokenStore {
    func revokeTokens(clientID: String, at now: Date) async throws -> Int {
        let millis = now.millis
        return try await database.transaction { connection in
            var count = 0
            let queries: [PostgresQuery] = [
                "UPDATE access_tokens SET revoked_at = \(millis) WHERE client_id = \(clientID) AND revoked_at IS NULL RETURNING jti",
                "UPDATE refresh_tokens SET revoked_at = \(millis) WHERE client_id = \(clientID) AND revoked_at IS NULL RETURNING client_id",
            ]
            for query in queries {
                let rows = try await connection.query(query, logger: database.logger)
                for try await _ in rows { count += 1 }
            }
            return count
        }
    }
}
