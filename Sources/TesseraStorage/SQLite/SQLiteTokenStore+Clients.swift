import Foundation
import GRDB

extension SQLiteTokenStore {
    /// Revokes every grant of the client and, like any grant revocation, every grant derived from its
    /// tokens (issue 19: a token exchanged from the client's token dies with it, whoever holds it).
    func revokeTokens(clientID: String, at now: Date) async throws -> Int {
        try await batcher.write { db in
            let grants = try String.fetchAll(
                db,
                sql: "SELECT grant_id FROM access_tokens WHERE client_id = ? UNION SELECT grant_id FROM refresh_tokens WHERE client_id = ?",
                arguments: [clientID, clientID]
            )
            var count = 0
            for grant in grants { count += try Self.revokeGrant(grant, at: now, db) }
            return count
        }
    }
}
