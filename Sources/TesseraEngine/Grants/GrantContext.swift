public import Foundation
public import TesseraProtocol
public import TesseraStorage

/// What every grant handler may use.
public struct GrantContext: Sendable {
    public let issuer: TokenIssuer
    public let tokens: any TokenStore
    public let now: @Sendable () -> Date
    /// Rich authorization requests (RFC 9396): validation, decision, Cedar narrowing.
    public let authorizationDetails: AuthorizationDetailsProcessor
    let scopeCheck = ScopeCheck()
    let resourceCheck: ResourceCheck

    /// The DPoP key a new refresh token must be bound to (RFC 9449 §5): the proven key when the
    /// client is public. Confidential clients' refresh tokens are already constrained by client
    /// authentication, so they stay unbound and the client may change DPoP keys.
    public func refreshTokenBinding(client: AuthenticatedClient, request: TokenRequest) -> String? {
        client.record.authMethod == .none ? request.confirmation?.jkt : nil
    }

    init(
        issuer: TokenIssuer,
        tokens: any TokenStore,
        defaultAudience: [String],
        authorizationDetails: AuthorizationDetailsProcessor,
        now: @escaping @Sendable () -> Date
    ) {
        self.issuer = issuer
        self.tokens = tokens
        self.now = now
        self.authorizationDetails = authorizationDetails
        self.resourceCheck = ResourceCheck(defaultAudience: defaultAudience)
    }
}
