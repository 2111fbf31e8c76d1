import Foundation
public import TesseraProtocol

extension GNAPResourceServer {
    /// Asks the AS for a token derived from one this RS received, to call a downstream RS (RFC 9767 §4).
    ///
    /// The RS acts as a client: an ordinary grant request to ``Configuration/grantEndpoint``, identifying
    /// itself with its own key (or its registered id) in `client`, signed with that key, carrying the
    /// received token as `existing_access_token`. The AS grants only access the received token carries
    /// (narrower is fine, wider is refused with `request_denied`), bound to this RS's key, expiring no
    /// later than the received token, and revoked with it.
    ///
    /// ```swift
    /// let downstream = try await rs.deriveToken(
    ///     from: incomingToken,
    ///     access: [.object(.init(type: "photo-api", actions: ["read"], locations: ["https://rs2.example/"]))]
    /// )
    /// // call RS2 with `Authorization: GNAP \(downstream.value)`, signed with rs.key
    /// ```
    /// - Parameters:
    ///   - existingToken: the token value a client presented to this RS.
    ///   - access: the rights wanted at the downstream RS (RFC 9635 §8), within the received token's.
    ///   - label: an optional label for the token.
    /// - Returns: the derived access token.
    /// - Throws: ``GNAPResourceError`` `asError` with the AS's ``GNAPError`` (`invalid_client`,
    ///   `invalid_request`, `request_denied`, …), or `invalidResponse`/`signingFailed`.
    public func deriveToken(from existingToken: String, access: [GNAPAccessRight], label: String? = nil) async throws -> GNAPAccessToken {
        let client: GNAPClientReference =
            switch configuration.resourceServer {
            case .instance(let id): .instance(id)
            case .key(let key): .value(GNAPClientInstance(key: key))
            }
        var request = GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: access, label: label)), client: client)
        request.existingAccessToken = existingToken
        let response = try await post(configuration.grantEndpoint, body: request)
        let answer = try Self.decode(GNAPGrantResponse.self, from: response, "the grant response is not valid")
        guard case .single(let token)? = answer.accessToken else {
            throw GNAPResourceError(.invalidResponse, "the grant response carries no access token")
        }
        return token
    }
}
