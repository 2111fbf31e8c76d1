import Foundation
import GRDB

/// ``GNAPInteractionStore`` on SQLite. A decision reads and writes inside one write transaction
/// (GRDB serialises writers), so its checks and updates are atomic.
struct SQLiteInteractionStore: GNAPInteractionStore {
    let writer: any DatabaseWriter
    let batcher: SQLiteWriteBatcher

    func createInteraction(_ interaction: GNAPInteractionRecord) async throws {
        try await batcher.write { db in try db.insertRow(interaction) }
    }

    func replaceInteraction(grantID: String, with interaction: GNAPInteractionRecord?) async throws {
        try await batcher.write { db in
            try db.execute(sql: "DELETE FROM gnap_interactions WHERE grant_id = ?", arguments: [grantID])
            if let interaction { try db.insertRow(interaction) }
        }
    }

    func interaction(id: String) async throws -> GNAPInteractionRecord? {
        try await fetch("id", id)
    }

    func interaction(userCode: String) async throws -> GNAPInteractionRecord? {
        try await fetch("user_code", userCode)
    }

    func interaction(grantID: String) async throws -> GNAPInteractionRecord? {
        try await fetch("grant_id", grantID)
    }

    func decide(interactionID: String, _ decision: GNAPInteractionDecision, at now: Date) async throws -> Bool {
        try await batcher.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT grant_id FROM gnap_interactions WHERE id = ? AND state = 'waiting' AND expires_at > ?",
                    arguments: [interactionID, now.millis]
                )
            else { return false }
            let grantID: String = row["grant_id"]
            try db.execute(
                sql: """
                    UPDATE gnap_grants SET state = ?, subject = ?, request = COALESCE(?, request), updated_at = ?, authenticated_at = ?,
                        approved_at = ?
                    WHERE id = ? AND state = 'pending'
                    """,
                arguments: [
                    decision.approve ? "approved" : "denied", decision.subject, decision.narrowedRequest, now.millis,
                    decision.authenticatedAt?.millis, decision.approve ? now.millis : nil, grantID,
                ]
            )
            guard db.changesCount == 1 else { return false }
            try db.execute(
                sql: "UPDATE gnap_interactions SET state = 'finished', interact_ref_hash = ? WHERE id = ?",
                arguments: [decision.interactRefHash, interactionID]
            )
            try SQLiteGNAPStore.revokeTokens(of: grantID, manageIDs: decision.revoking, at: now, db)
            return true
        }
    }

    func deleteExpiredInteractions(before cutoff: Date) async throws -> Int {
        try await batcher.write { db in
            try db.execute(sql: "DELETE FROM gnap_interactions WHERE expires_at < ?", arguments: [cutoff.millis])
            return db.changesCount
        }
    }

    /// `column` is one of three constants above, never input.
    private func fetch(_ column: String, _ value: String) async throws -> GNAPInteractionRecord? {
        try await writer.read { db in
            try db.record(GNAPInteractionRecord.self, "WHERE \(column) = ?", [value])
        }
    }
}
