public import Foundation
public import TesseraProtocol
import TesseraStorage

/// Remembered consent (RFC 6749 §4.1.1 leaves the decision to the server; OpenID Connect Core
/// §3.1.2.4): an approval is kept per person, client and approved access; a later request that asks
/// for no more than a kept consent is answered without asking again; the person can withdraw a
/// consent, which revokes every token issued under it (RFC 6749 §10.4, RFC 7009 §2.1).
extension AuthorizationCodeService {
    /// A remembered consent as the account page shows it.
    public struct Consent: Sendable, Hashable {
        public var id: String
        public var clientID: String
        public var scope: [String]
        public var resources: [String]
        public var authorizationDetails: [JSONValue]
        public var createdAt: Date
    }

    /// When the signed-in person already consented to everything the held request asks for, decides
    /// it under that consent and returns where the browser goes; otherwise `nil` (ask on the page), also once a Cedar
    /// right's `valid_for` window counted from that consent has closed (``remembered(_:answering:of:)``).
    /// `prompt=consent` always asks (OpenID Connect Core §3.1.2.1).
    public func decideIfRemembered(id: String, username: String, authTime: Date) async throws -> String? {
        guard let pending = try await pending(id: id), !pending.signIn.asksForConsent else { return nil }
        guard let remembered = try await consents(covering: pending.request, of: username).first else { return nil }
        do {
            return try await decide(
                id: id,
                username: username,
                approve: true,
                approvedScope: nil,
                approvedDetails: nil,
                authTime: authTime,
                rememberedConsent: remembered
            )
        } catch Problem.unknownOrExpired {
            return nil
        }
    }

    /// The ids of the person's consents in force that cover `request` (``covers(_:_:)``): those that would answer it
    /// without asking, newest first.
    /// - Parameters:
    ///   - request: the authorization request.
    ///   - username: the person.
    /// - Returns: the consents' ids.
    /// - Throws: store failures.
    func consents(covering request: OAuthAuthorizationRequest, of username: String) async throws -> [String] {
        try await store.consents(subject: username).filter { Self.covers($0, request) }.map(\.id)
    }

    /// The remembered consent `id` while it still answers `request`: not withdrawn, and every Cedar right asked for
    /// inside the `valid_for` window counted from the consent's approval (draft-cecchetti-oauth-rar-cedar §7): a
    /// request answered without a page stands on that approval, never starts a new window.
    /// - Parameters:
    ///   - id: the consent answering the request, `nil` when the person decides on the page.
    ///   - request: the held request.
    ///   - subject: the person.
    /// - Returns: the consent, `nil` for a decision on the page.
    /// - Throws: ``Problem/unknownOrExpired`` when it no longer answers (the person is asked); store failures.
    func remembered(_ id: String?, answering request: OAuthAuthorizationRequest, of subject: String) async throws -> ConsentRecord? {
        guard let id else { return nil }
        guard let consent = try await store.consents(subject: subject).first(where: { $0.id == id }),
            authorizationDetails.windowsOpen(request.authorizationDetails ?? [], approvedAt: consent.createdAt)
        else { throw Problem.unknownOrExpired }
        return consent
    }

    /// The person's consents that are still in force, newest first.
    public func consents(of username: String) async throws -> [Consent] {
        try await store.consents(subject: username).map { record in
            Consent(
                id: record.id,
                clientID: record.clientID,
                scope: record.scope,
                resources: record.resources,
                authorizationDetails: Self.entries(record.authorizationDetails),
                createdAt: record.createdAt
            )
        }
    }

    /// The consent a decision is made under: the remembered one, or a new one recording what was
    /// approved (the scope after partial approval, the resources, the ticked details as asked).
    func rememberConsent(
        _ remembered: String?,
        request: OAuthAuthorizationRequest,
        subject: String,
        scope: [String],
        details: [JSONValue],
        at current: Date
    ) async throws -> String {
        if let remembered { return remembered }
        let id = TokenIssuer.randomIdentifier()
        try await store.createConsent(
            ConsentRecord(
                id: id,
                subject: subject,
                clientID: request.clientID,
                scope: scope,
                resources: request.resources,
                authorizationDetails: details.isEmpty ? nil : Self.canonical(details),
                createdAt: current
            )
        )
        return id
    }

    /// A consent covers a request when it is for the same client and the request asks for no
    /// scope, resource or `authorization_details` entry (compared as canonical JSON) beyond it.
    static func covers(_ consent: ConsentRecord, _ request: OAuthAuthorizationRequest) -> Bool {
        guard consent.clientID == request.clientID, consent.withdrawnAt == nil else { return false }
        guard Set(request.scope).isSubset(of: consent.scope), Set(request.resources).isSubset(of: consent.resources) else { return false }
        let consented = entries(consent.authorizationDetails)
        // A Cedar grant approved with the scope restricts what the scope gives at a resource server with a default
        // grant: a request keeping the scope without the consent's Cedar entries of a type is asked again
        // (CedarGrantCarry; security review round 10, H8).
        let left = CedarGrantCarry.carried(
            from: consented.map(CedarGrantCarry.cedarType),
            into: (request.authorizationDetails ?? []).map(CedarGrantCarry.cedarType),
            keepsScope: !request.scope.isEmpty
        )
        guard left.isEmpty else { return false }
        let granted = Set(consented.map { canonical([$0]) })
        return (request.authorizationDetails ?? []).allSatisfy { granted.contains(canonical([$0])) }
    }

    /// Entries as canonical JSON text (sorted keys): how consents store and compare them.
    public static func canonical(_ entries: [JSONValue]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(entries)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func entries(_ text: String?) -> [JSONValue] {
        guard let text else { return [] }
        return (try? JSONDecoder().decode([JSONValue].self, from: Data(text.utf8))) ?? []
    }
}
