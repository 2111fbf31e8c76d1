public import TesseraProtocol

/// One grant type at the token endpoint (RFC 6749 §4–6). Runs after the client was authenticated
/// and found entitled to the grant type; returns the response only once its state is stored.
public protocol GrantHandler: Sendable {
    var grantType: GrantType { get }
    func handle(_ request: TokenRequest, client: AuthenticatedClient, context: GrantContext) async throws -> TokenResponse
}
