import Foundation
import TesseraProtocol
import TesseraStorage

/// The account page's view of the grants a person's approval still stands behind (security review round 8, F1):
/// a grant sent back to pending by a modification keeps its subject until the modification is decided, so it
/// stays listed, and withdrawable, by the person whose tokens it still carries (RFC 9635 §1.5).
extension GNAPService {
    /// The grants whose approval by `username` still stands, newest first: approved ones, and those waiting for
    /// a modification to be decided (their earlier tokens stand on this person's approval until then).
    /// - Parameter username: the person.
    /// - Returns: the grants.
    /// - Throws: store failures.
    func grantsStanding(on username: String) async throws -> [GNAPGrantRecord] {
        let approved = try await stores.gnap.grants(subject: username, state: .approved)
        let waiting = try await stores.gnap.grants(subject: username, state: .pending)
        return (approved + waiting).sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    /// What a grant's person approved, for the account page: the grant's request once approved; while a
    /// modification waits, what the live tokens carry (the request then holds rights nobody approved yet).
    /// - Parameter grant: the grant.
    /// - Returns: the tokens with their rights.
    /// - Throws: store failures.
    func approvedTokens(of grant: GNAPGrantRecord) async throws -> [GNAPTokenRequest] {
        guard grant.state == .pending else {
            let request = try? Self.decode(GNAPGrantRequest.self, from: Array(grant.request.utf8))
            return request?.accessToken?.requests ?? []
        }
        // Each poll of an approved grant mints another token with the same rights: each set is shown once.
        var shown: [GNAPTokenRequest] = []
        for token in try await stores.gnap.liveTokens(grantID: grant.id) {
            guard let access = try? Self.decode([GNAPAccessRight].self, from: Array(token.access.utf8)) else { continue }
            let held = GNAPTokenRequest(access: access, label: token.label, flags: token.flags.isEmpty ? nil : token.flags)
            if !shown.contains(held) { shown.append(held) }
        }
        return shown
    }
}
