import TesseraProtocol
import TesseraStorage

extension GrantEngine {
    /// The one entry point for a request for tokens, whichever door it came through: the client is
    /// admitted (client challenges, draft-kahrer-oauth-client-challenge-protocol-00), its evidence
    /// checked, the access decided by the one ``DecisionPoint`` (an ``AccessQuestion`` built from the
    /// request), narrowed to what is permitted, and issued by the one ``TokenIssuer`` into the ledger.
    /// Each door translates its wire request into an ``AccessRequest`` and the outcome back into its
    /// wire answer ("two front doors, one engine").
    /// - Parameters:
    ///   - request: what is asked.
    ///   - client: who asks.
    /// - Returns: the tokens issued (recorded before this returns), a grant waiting for a person
    ///   (RFC 9635 §3.3, recorded), a client challenge, or a refusal.
    /// - Throws: only infrastructure failures (store outages); refusals are outcomes.
    public func answer(_ request: AccessRequest, from client: ClientIdentity) async throws -> GrantOutcome {
        // A GNAP grant request (RFC 9635 §2): decided by the one decision point, its tokens minted by
        // the one issuer, the grant recorded for the door to continue.
        if case .gnap = client.registration {
            do { return try await gnap.grant(request, from: client) } catch let error as GNAPError {
                guard let refusal = Refusal(error) else { throw error }
                return .denied(refusal)
            }
        }
        guard case .oauth(let registered) = client.registration, let grantType = request.evidence.grantType,
            let handler = handlers[grantType]
        else {
            return .denied(Refusal(.unsupportedEvidence, "grant_type '\(FormParameters.printableValue(request.kind))' is not supported"))
        }
        guard registered.record.grantTypes.contains(grantType) else {
            return .denied(Refusal(.clientNotEntitled, "this client is not allowed to use grant_type \(grantType)"))
        }
        do {
            if let challenges {
                // Judged on the rights the token will carry: a code's or a refresh family's, not only the parameters presented.
                let rights = try await handler.challengedRights(request, client: registered, key: client.provenKey, context: context)
                try await challenges.admit(request, rights: rights, client: registered, key: client.provenKey)
            }
            let tokens = try await handler.handle(request, client: registered, key: client.provenKey, context: context)
            return .granted(
                .init(tokens: [.init(oauth: tokens)], dropped: Self.dropped(asked: request.rights.scope, granted: tokens.scope))
            )
        } catch let refusal as OAuthError {
            return .denied(Refusal(refusal))
        } catch let challenge as InsufficientClientAuthorization {
            return .needsClientEvidence(challenge)
        }
    }

    /// The simple rights asked for and left out of the granted scope (RFC 6749 §3.3).
    static func dropped(asked: Scope?, granted: String?) -> [String] {
        guard let asked, let granted else { return [] }
        let kept = Set(granted.split(separator: " ").map(String.init))
        return asked.tokens.filter { !kept.contains($0) }
    }
}

extension Evidence {
    /// The grant type a client must be registered for to present this evidence (RFC 7591 §2
    /// `grant_types`); `nil` for GNAP evidence and unknown kinds.
    var grantType: GrantType? {
        switch self {
        case .client: .clientCredentials
        case .authorizationCode: .authorizationCode
        case .refreshToken: .refreshToken
        case .subjectToken: .tokenExchange
        case .jwtGrant: .jwtBearer
        case .interactionResult, .continuation, .managedToken, .existingToken, .unsupported: nil
        }
    }

    /// A member the evidence's check requires.
    /// - Parameters:
    ///   - value: the member as sent.
    ///   - name: its parameter name.
    /// - Returns: the value.
    /// - Throws: ``OAuthError`` `invalid_request` naming the missing parameter.
    static func require(_ value: String?, _ name: String) throws(OAuthError) -> String {
        guard let value else { throw OAuthError.invalidRequest("missing required parameter '\(name)'") }
        return value
    }
}
