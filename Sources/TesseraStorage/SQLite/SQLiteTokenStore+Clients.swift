import Foundation
import GRDB

extension SQLiteTokenStore {
    func revokeTokens(clientID: String, at now: Date) async throws -> Int {
        try await batcher.write { db in
            var count = 0
            for table in ["access_tokens", "refresh_tokens"] {
                try db.execute(sql: "UPDATE \(table) SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL", arguments: [now.millis, clientID])
                count += db.changesCount
            }
            return count
        }
    }
}
