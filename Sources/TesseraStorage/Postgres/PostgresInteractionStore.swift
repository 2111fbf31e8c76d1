import Foundation
import PostgresNIO

/// ``GNAPInteractionStore`` on PostgreSQL. A decision locks the interaction row (`FOR UPDATE`) and
/// updates the grant only while it is pending, in one transaction.
struct PostgresInteractionStore: GNAPInteractionStore {
    let database: PostgresDatabase

    func createInteraction(_ interaction: GNAPInteractionRecord) async throws {
        try await database.withConnection { connection in try await insert(interaction, connection) }
    }

    func replaceInteraction(grantID: String, with interaction: GNAPInteractionRecord?) async throws {
        let logger = database.logger
        try await database.transaction { connection in
            try await connection.run("DELETE FROM gnap_interactions WHERE grant_id = \(grantID) RETURNING id", logger: logger)
            if let interaction { try await insert(interaction, connection) }
        }
    }

    private func insert(_ interaction: GNAPInteractionRecord, _ connection: PostgresConnection) async throws {
        try await connection.run(try interaction.insertQuery(), logger: database.logger)
    }

    func interaction(id: String) async throws -> GNAPInteractionRecord? {
        try await database.record(GNAPInteractionRecord.self, "WHERE id = \(id)")
    }

    func interaction(userCode: String) async throws -> GNAPInteractionRecord? {
        try await database.record(GNAPInteractionRecord.self, "WHERE user_code = \(userCode)")
    }

    func interaction(grantID: String) async throws -> GNAPInteractionRecord? {
        try await database.record(GNAPInteractionRecord.self, "WHERE grant_id = \(grantID)")
    }

    func decide(interactionID: String, _ decision: GNAPInteractionDecision, at now: Date) async throws -> Bool {
        let logger = database.logger
        let millis = now.millis
        let (state, authenticatedAt) = (decision.approve ? "approved" : "denied", decision.authenticatedAt?.millis)
        let approvedAt = decision.approve ? millis : nil
        return try await database.transaction { connection in
            let rows = try await connection.rows(
                """
                SELECT grant_id FROM gnap_interactions
                WHERE id = \(interactionID) AND state = 'waiting' AND expires_at > \(millis) FOR UPDATE
                """,
                logger: logger
            ) { try $0.decode(String.self) }
            guard let grantID = rows.last else { return false }
            let updated = try await connection.run(
                """
                UPDATE gnap_grants SET state = \(state), subject = \(decision.subject),
                    request = COALESCE(\(decision.narrowedRequest), request), updated_at = \(millis), authenticated_at = \(authenticatedAt),
                    approved_at = \(approvedAt)
                WHERE id = \(grantID) AND state = 'pending' RETURNING id
                """,
                logger: logger
            )
            guard updated == 1 else { return false }
            try await connection.run(
                "UPDATE gnap_interactions SET state = 'finished', interact_ref_hash = \(decision.interactRefHash) WHERE id = \(interactionID)",
                logger: logger
            )
            try await PostgresGNAPStore.revokeTokens(of: grantID, manageIDs: decision.revoking, at: millis, connection, logger)
            return true
        }
    }

    func deleteExpiredInteractions(before cutoff: Date) async throws -> Int {
        let millis = cutoff.millis
        return try await database.run("DELETE FROM gnap_interactions WHERE expires_at < \(millis) RETURNING id")
    }
}
