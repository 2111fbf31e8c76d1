import TesseraProtocol
import TesseraStorage

/// The rights a token request would leave the client holding, as the client-challenge policy judges them
/// (docs/client-challenge.md): not the parameters presented at the token endpoint, which a code redemption or
/// a plain refresh leaves empty, but what the grant resolves to — the code's approved scope and details, the
/// refresh family's (review round 10, H2).
struct ChallengedRights: Sendable, Hashable {
    /// The scope tokens.
    var scope: [String]
    /// The RFC 8707 resources (a refresh family's audiences).
    var resources: [String]
    /// The RFC 9396 `authorization_details`, if any.
    var authorizationDetails: [JSONValue]?

    /// Nothing: a request that will be refused before anything is issued (an unknown or spent code).
    static let nothing = ChallengedRights(scope: [], resources: [], authorizationDetails: nil)

    /// The rights of a request that names them itself: its `scope` (or `defaultScope` when it names none),
    /// resources — its RFC 8707 `resource` values and its RAR entries' `locations` (RFC 9396 §2), both of which become
    /// the token's audience (review round 11, J1) — and details.
    /// - Parameters:
    ///   - request: the token request.
    ///   - defaultScope: what the grant issues when the request names no `scope` (RFC 6749 §3.3).
    /// - Returns: the rights.
    static func presented(_ request: AccessRequest, defaultScope: [String] = []) -> ChallengedRights {
        ChallengedRights(
            scope: request.rights.scope?.tokens ?? defaultScope,
            resources: ResourceCheck.unique(request.resources + ResourceCheck.locations(of: request.rights.authorizationDetails)),
            authorizationDetails: request.rights.authorizationDetails
        )
    }

    /// The rights of a token a grant has decided to issue: its scope, audience and `authorization_details`.
    /// - Parameter grant: what the grant will mint.
    /// - Returns: the rights.
    static func issued(_ grant: TokenIssuer.Grant) -> ChallengedRights {
        ChallengedRights(scope: grant.scope.tokens, resources: grant.audience, authorizationDetails: grant.authorizationDetails)
    }

    /// The scope as the requirement shows it (space-separated, RFC 6749 §3.3), `nil` when empty.
    var scopeText: String? { scope.isEmpty ? nil : scope.joined(separator: " ") }
}

extension EvidenceHandler {
    /// A grant whose request names its own rights (an ID-JAG asked for by token exchange): judged on them.
    /// - Parameters:
    ///   - request: the token request.
    ///   - client: the authenticated client.
    ///   - key: the key the request proved (DPoP), if any.
    ///   - context: the grant context.
    /// - Returns: ``ChallengedRights/presented(_:defaultScope:)``.
    /// - Throws: nothing here; the requirement may read a store.
    func challengedRights(
        _ request: AccessRequest,
        client: AuthenticatedClient,
        key: ProvenKey?,
        context: GrantContext
    ) async throws -> ChallengedRights {
        .presented(request)
    }
}

extension ClientCredentialsGrant {
    /// The request's rights; without `scope`, the client's whole registered scope, which is what the grant then
    /// issues (RFC 6749 §3.3).
    /// - Parameters:
    ///   - request: the token request.
    ///   - client: the authenticated client.
    ///   - key: the key the request proved (DPoP), if any.
    ///   - context: the grant context.
    /// - Returns: the rights.
    /// - Throws: nothing here; the requirement may read a store.
    func challengedRights(
        _ request: AccessRequest,
        client: AuthenticatedClient,
        key: ProvenKey?,
        context: GrantContext
    ) async throws -> ChallengedRights {
        .presented(request, defaultScope: client.record.scopes)
    }
}
