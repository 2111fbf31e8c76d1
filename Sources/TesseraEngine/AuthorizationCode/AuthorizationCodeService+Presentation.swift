import Foundation
import TesseraProtocol
import TesseraStorage

/// What the sign-in and consent pages show about a held request (issue 21): who asks, and each
/// Cedar-profile `authorization_details` entry in plain language with the narrowing the grant will
/// apply. Rendering only: a decision is still about the held request.
extension AuthorizationCodeService.Pending {
    /// Who asks (``ClientPresentation/init(_:document:)``).
    public var presentation: ClientPresentation { ClientPresentation(client, document: document) }
}

extension ClientPresentation {
    /// Who asks. A client known only by its metadata document (CIMD) names itself: unverified, with
    /// the host that published the document; so does a self-registered one (RFC 7591). A client the
    /// operator registered is named by the `client_name` the operator gave it, verified (else by its
    /// `client_id`), with the loopback warning when it is public and only returns to this computer.
    /// - Parameters:
    ///   - client: the OAuth client.
    ///   - document: its metadata document when it is known only by one.
    init(_ client: ClientRecord, document: ClientMetadataDocument?) {
        let selfNamed: String?
        if let registration = client.registration {
            // RFC 7591 §5: a self-registered client names itself; nobody vouched for the name.
            let metadata = try? JSONDecoder().decode(ClientRegistrationMetadata.self, from: Data(registration.metadata.utf8))
            selfNamed = metadata?.clientName
        } else if let document {
            selfNamed = document.clientName
        } else {
            // A public client has no secret to prove it is the one the operator registered: when it only
            // returns to loopback, any local program can pose as it (RFC 8252 §8.6), as for the others.
            self.init(
                name: client.clientName,
                nameIsVerified: client.clientName != nil,
                identity: client.id,
                returnsOnlyToThisComputer: client.authMethod == .none && Self.loopbackOnly(client.redirectURIs)
            )
            return
        }
        self.init(
            name: selfNamed.flatMap { $0.isEmpty ? nil : $0 },
            nameIsVerified: false,
            identity: client.id,
            publisher: client.registration == nil ? URLComponents(string: client.id)?.host ?? client.id : nil,
            isSelfRegistered: client.registration != nil,
            returnsOnlyToThisComputer: Self.loopbackOnly(client.redirectURIs)
        )
    }
}

extension AuthorizationCodeService {
    /// Each Cedar-profile entry of the held request, keyed by its index, as
    /// ``decide(id:username:approve:approvedScope:approvedDetails:authTime:)`` will grant it to
    /// `username` (RFC 9396 §7; the same ``AuthorizationDetailsProcessor`` decision).
    public func cedarPreviews(of pending: Pending, for username: String) -> [Int: CedarConsentPreview] {
        let party = AuthorizationDetailsProcessor.Party(clientID: pending.request.clientID, subject: username)
        var previews: [Int: CedarConsentPreview] = [:]
        for (index, entry) in (pending.request.authorizationDetails ?? []).enumerated() {
            if let preview = authorizationDetails.preview(entry, to: party) { previews[index] = preview }
        }
        return previews
    }

    /// Who asks behind a held request's id, for the sign-in page; `nil` when it is unknown or over.
    public func requester(ofRequest id: String) async throws -> ClientPresentation? {
        try await pending(id: id)?.presentation
    }
}
