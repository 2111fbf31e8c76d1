import Foundation
import GRDB

extension SQLiteTokenStore {
    /// Revokes every grant of the client and, like any grant revocation, every grant derived from its
    /// tokens (issue 19: a token exchanged from the client's token dies with it, whoever holds it); withdraws the
    /// consents people gave it and spends its unredeemed codes (L11).
    func revokeTokens(clientID: String, at now: Date) async throws -> Int {
        try await batcher.write { db in
            let grants = try String.fetchAll(
                db,
                sql: "SELECT grant_id FROM access_tokens WHERE client_id = ? UNION SELECT grant_id FROM refresh_tokens WHERE client_id = ?",
                arguments: [clientID, clientID]
            )
            var count = 0
            for grant in grants { count += try Self.revokeGrant(grant, at: now, db) }
            // What people approved for this client ends with it: a client later given the same id is asked again
            // (review round 13, L11), and no code issued to this one is redeemed.
            let consents = try Row.fetchAll(
                db,
                sql: "SELECT id, subject FROM consents WHERE client_id = ? AND withdrawn_at IS NULL",
                arguments: [clientID]
            )
            for consent in consents {
                _ = try SQLiteAuthorizationCodeStore.withdraw(consent["id"], subject: consent["subject"], at: now, db)
            }
            try db.execute(
                sql: "UPDATE authorization_codes SET used_at = ? WHERE client_id = ? AND used_at IS NULL",
                arguments: [now.millis, clientID]
            )
            return count
        }
    }
}
