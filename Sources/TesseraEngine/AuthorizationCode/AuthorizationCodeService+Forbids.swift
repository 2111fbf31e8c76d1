import Foundation
import TesseraProtocol
import TesseraStorage

extension AuthorizationCodeService {
    /// The entries whose `forbid`s stay in force for what a decision grants (``CedarForbidCarry``): every entry
    /// the request asked for (a person who unticks an entry leaves out its permits, never its forbids, which the
    /// resource server merges with the entries kept; RFC 6749 §3.3, RFC 9396 §7: less than asked, never more),
    /// and, when a remembered consent answers the request, every entry of that consent (the person approved its
    /// entries together with those forbids; security review round 10, H1 and H6).
    /// - Parameters:
    ///   - request: the authorization request decided.
    ///   - rememberedConsent: the id of the remembered consent answering it, if any.
    ///   - subject: the person deciding.
    /// - Returns: the entries.
    /// - Throws: store failures.
    func forbiddingDetails(
        _ request: OAuthAuthorizationRequest,
        rememberedConsent: String?,
        subject: String
    ) async throws -> [JSONValue] {
        var entries = request.authorizationDetails ?? []
        if let rememberedConsent, let consent = try await store.consents(subject: subject).first(where: { $0.id == rememberedConsent }) {
            entries += Self.entries(consent.authorizationDetails)
        }
        return entries
    }
}
