public import TesseraProtocol
public import TesseraStorage

/// What a door asks to revoke, after it has authenticated who asks (RFC 7009 §2.1 client authentication;
/// RFC 9635 §7.3 a key proof, the management or continuation token matched; a person's session).
public enum Revocation: Sendable {
    /// A token value (RFC 7009 §2.1 `token`): a refresh token revokes its grant, an access token itself, an ID token of
    /// ours itself (its use as an identity assertion, ``IDJAGSubjectValidator``).
    case token(String)
    /// A GNAP access token behind its management URI (RFC 9635 §6.2), and whose it is.
    case managedToken(manageID: String, holder: TokenHolder)
    /// A GNAP grant (RFC 9635 §5.4) as the door read it, and the hash of the continuation token presented.
    case grant(GNAPGrantRecord, presentedHash: String)
    /// A GNAP grant a person approved, withdrawn by them (RFC 9635 §1.5), by the id the account page showed.
    case approvedGrant(id: String)
    /// A remembered OAuth consent, withdrawn by the person who gave it: its codes spent, its grants revoked.
    case consent(id: String)
}

/// Who asks to revoke, as the door authenticated them.
public enum Revoker: Sendable {
    /// A client: OAuth's authenticated client (RFC 7009 §2.1), a GNAP instance or key (RFC 9635 §7.3).
    case client(ClientIdentity)
    /// A person signed in at the account page, by username.
    case person(String)

    /// Whether `holder` is this party: a person holds no token (``ClientIdentity/holds(_:)``).
    func holds(_ holder: TokenHolder) -> Bool {
        guard case .client(let client) = self else { return false }
        return client.holds(holder)
    }
}

extension GrantEngine {
    /// The one revocation, whichever door asks (issue 19): what is named is found, the caller must hold it
    /// (``Revoker/holds(_:)``: OAuth clients and GNAP instances are different name spaces) or, for a person, have
    /// approved or consented to it (``GNAPService/isApprovedByAPerson(_:)``), and the store revokes it with every token derived from it. Something
    /// unknown is revoked already (RFC 7009 §2.2); a person's grant or consent not found, not theirs or no longer in
    /// force is refused alike, so nobody learns of another's.
    /// - Parameters:
    ///   - revocation: what is revoked.
    ///   - revoker: who asks, as the door authenticated them.
    /// - Returns: `nil` once revoked; ``Refusal/Code/clientNotEntitled`` when it is not the caller's.
    /// - Throws: ``GNAPError`` `invalid_continuation` for a grant finalized or changing meanwhile; store failures.
    public func revoke(_ revocation: Revocation, by revoker: Revoker) async throws -> Refusal? {
        let notHeld = Refusal(.clientNotEntitled, "not issued to or approved by the caller")
        switch revocation {
        case .token(let value):
            if let refresh = try await stores.tokens.refreshToken(hash: TokenIssuer.hashToken(value)) {
                guard revoker.holds(.oauthClient(refresh.clientID)) else { return notHeld }
                _ = try await stores.tokens.revokeGrant(id: refresh.grantID, at: now())
            } else if let access = try await ledger.entry(for: value) {
                guard revoker.holds(access.holder) else { return notHeld }
                // A GNAP token dies with its management record, so it cannot be rotated back to life (RFC 9635 §6.1).
                if access.door == .gnap, let managed = try await stores.gnap.token(jti: access.jti) {
                    return try await revoke(.managedToken(manageID: managed.manageID, holder: access.holder), by: revoker)
                }
                _ = try await stores.tokens.revokeAccessToken(jti: access.jti, at: now())
            } else if let idToken = try await ledger.idTokenEntry(for: value) {
                // An ID token of ours, by the client it was issued to: it is no longer an identity assertion (RFC 7009
                // §2.1; ninth review: this was answered 200 and the ID token kept minting ID-JAGs). Its grant stands.
                guard revoker.holds(idToken.holder) else { return notHeld }
                _ = try await stores.tokens.revokeAccessToken(jti: idToken.record.jti, at: now())
            }
        case .managedToken(let manageID, let holder):
            guard revoker.holds(holder) else { return notHeld }
            _ = try await stores.gnap.revokeToken(manageID: manageID, at: now())
        case .grant(let grant, let presentedHash):
            guard revoker.holds(TokenHolder(gnap: grant)) else { return notHeld }
            _ = try await gnap.retrying((grant, presentedHash, nil)) { grant -> Bool? in
                var grant = grant
                return try await gnap.finalize(&grant, expected: presentedHash, state: grant.state) ? true : nil
            }
        case .approvedGrant(let id):
            guard case .person(let username) = revoker, PresentedIdentifier.isCanonical(id, as: .serverIdentifier) else { return notHeld }
            // The client may continue (rotating the continuation hash) meanwhile: re-read and retry.
            for _ in 0..<5 {
                // Pending too: a modification waiting for a person keeps the grant its approver's to withdraw (review F1).
                guard var grant = try await stores.gnap.grant(id: id), grant.state == .approved || grant.state == .pending,
                    grant.subject == username,
                    GNAPService.isApprovedByAPerson(grant)
                else { return notHeld }
                if try await gnap.finalize(&grant, expected: grant.continuationHash, state: grant.state) { return nil }
            }
            return notHeld
        case .consent(let id):
            guard case .person(let username) = revoker, PresentedIdentifier.isCanonical(id, as: .serverIdentifier),
                try await stores.authorizationCodes.withdrawConsent(id: id, subject: username, at: now()) != nil
            else { return notHeld }
        }
        return nil
    }

    /// The OAuth door of revocation (RFC 7009 §2): the client authenticated, ``revoke(_:by:)`` decides.
    /// - Parameters:
    ///   - token: the token to revoke.
    ///   - hint: `token_type_hint`, unused: both kinds are looked up (RFC 7009 §2.1 lets the server ignore it).
    ///   - credentials: the client authentication presented.
    /// - Throws: ``OAuthError`` `invalid_client`, or `unauthorized_client` when the token belongs to another client.
    public func revoke(token: String, hint: TokenTypeHint?, credentials: ClientCredentials) async throws {
        let caller = try await authenticator.authenticate(credentials, allowPublic: true)
        if let refusal = try await revoke(.token(token), by: .client(ClientIdentity(.oauth(caller)))) { throw refusal.oauth }
    }

    /// The GNAP door of token revocation (`DELETE` of the management URI, RFC 9635 §6.2): the management token
    /// matched and the grant's key proven, ``revoke(_:by:)`` decides; already revoked is success.
    /// - Parameters:
    ///   - manageID: the id in the management URI.
    ///   - presented: the request as received.
    /// - Throws: ``GNAPError`` `invalid_request` for an unknown URI or token; proof failures; store failures.
    public func revokeGNAPToken(manageID: String, _ presented: GNAPPresentedRequest) async throws {
        let (managed, _, client) = try await gnap.authorizeManagement(manageID: manageID, presented, errorCode: .invalidRequest)
        if let refusal = try await revoke(.managedToken(manageID: manageID, holder: TokenHolder(gnap: managed.grant)), by: .client(client))
        {
            throw refusal.gnap
        }
    }
}

extension TokenHolder {
    /// Who holds a GNAP grant's tokens: its registered instance, or its key (RFC 9635 §2.3, §7.1).
    init(gnap grant: GNAPGrantRecord) {
        self = grant.instanceID.map(TokenHolder.gnapInstance) ?? .gnapKey(thumbprint: grant.keyThumbprint)
    }
}
