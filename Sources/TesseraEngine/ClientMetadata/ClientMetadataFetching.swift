public import Foundation
public import TesseraProtocol

/// A fetched Client ID Metadata Document, before validation.
public struct FetchedClientMetadata: Sendable {
    public var status: Int
    public var body: Data
    /// `Cache-Control: max-age` (or `no-store`/`no-cache` as 0), when the response said.
    public var maxAge: TimeInterval?

    public init(status: Int, body: Data, maxAge: TimeInterval?) {
        self.status = status
        self.body = body
        self.maxAge = maxAge
    }
}

/// Fetches metadata documents and the key sets they point at. The server supplies an
/// implementation with SSRF guards (resolve, refuse special-use addresses, pin, no redirects,
/// timeout, size cap); the engine stays HTTP-free.
public protocol ClientMetadataFetching: Sendable {
    /// - Throws: ``OAuthError`` `invalid_client` saying why nothing usable came back.
    func fetchDocument(_ url: String, maximumBytes: Int) async throws(OAuthError) -> FetchedClientMetadata
    /// The JWK Set at a document's `jwks_uri`, under the same guards.
    func fetchJWKS(_ url: String) async throws(OAuthError) -> PublicJWKSet
}
