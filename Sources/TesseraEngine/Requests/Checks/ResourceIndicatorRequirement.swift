import TesseraProtocol

/// Which clients must name the resource they want a token for (RFC 8707 §2) — the MCP
/// authorization spec (2026-07-28, "Resource Parameter Implementation") has MCP clients send
/// `resource` in every authorization and token request, so an authorization server for MCP
/// servers can refuse a request without it instead of issuing a token for its default audience
/// that an MCP server must reject (or, worse, one that a careless server accepts).
///
/// Nobody by default: a request without `resource` gets the default audience, as before.
public struct ResourceIndicatorRequirement: Sendable, Hashable {
    /// Every client (`resource_indicators: required`).
    public var everyClient = false
    /// Clients registered with `require_resource: true`.
    public var clients: Set<String> = []
    /// Clients known by a metadata document URL (`client_id_metadata_documents.require_resource`):
    /// in practice the MCP clients.
    public var metadataDocumentClients = false

    public init() {}

    /// Whether `clientID` must name its resources.
    /// - Parameter clientID: the client of the request.
    /// - Returns: `true` when a request without `resource` is refused.
    public func applies(to clientID: String) -> Bool {
        everyClient || clients.contains(clientID) || (metadataDocumentClients && ClientIDMetadataURL.isCandidate(clientID))
    }
}
