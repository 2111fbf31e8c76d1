import TesseraProtocol
public import TesseraStorage

/// Which clients must name the resource they want a token for (RFC 8707 §2) — the MCP
/// authorization spec (2026-07-28, "Resource Parameter Implementation") has MCP clients send
/// `resource` in every authorization and token request, so an authorization server for MCP
/// servers can refuse a request without it instead of issuing a token for its default audience
/// that an MCP server must reject (or, worse, one that a careless server accepts).
///
/// Nobody by default: a request without `resource` gets the default audience, as before.
public struct ResourceIndicatorRequirement: Sendable, Hashable {
    /// Every client (`resource_indicators: required`). A single client is marked in its registration
    /// (``ClientRecord/requireResource``: `require_resource: true` in the file, `tessera clients add
    /// --require-resource`, or `registration.require_resource` for self-registered clients).
    public var everyClient = false
    /// Clients known by a metadata document URL (`client_id_metadata_documents.require_resource`):
    /// in practice the MCP clients.
    public var metadataDocumentClients = false

    public init() {}

    /// Whether `client` must name its resources.
    /// - Parameter client: the client of the request, as registered (or resolved from its metadata document).
    /// - Returns: `true` when a request without `resource` is refused.
    public func applies(to client: ClientRecord) -> Bool {
        everyClient || client.requireResource || (metadataDocumentClients && ClientIDMetadataURL.isCandidate(client.id))
    }
}
