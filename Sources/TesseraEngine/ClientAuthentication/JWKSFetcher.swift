public import TesseraProtocol

/// Fetches a JWK Set from a URL. The server supplies an HTTP implementation; the engine stays HTTP-free.
public protocol JWKSFetcher: Sendable {
    /// - Throws: any error when the document cannot be fetched or is not a JWK Set.
    func fetchJWKS(from url: String) async throws -> PublicJWKSet
}
