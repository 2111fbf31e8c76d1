public import TesseraProtocol

/// Fetches another authorization server's metadata document (RFC 8414 §3), to find a peer's
/// `jwks_uri` from its metadata URL. The server supplies an HTTP implementation.
public protocol AuthorizationServerMetadataFetcher: Sendable {
    /// - Throws: any error when the document cannot be fetched or is not a metadata JSON object.
    func fetchMetadata(from url: String) async throws -> [String: JSONValue]
}
