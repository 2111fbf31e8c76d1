public import TesseraProtocol
public import TesseraStorage

/// A client whose credentials were checked, and how (ARCHITECTURE "Authenticate the caller").
public struct AuthenticatedClient: Sendable, Hashable {
    public let record: ClientRecord
    public let method: ClientAuthenticationMethod
    /// For a client known by its metadata document URL: the document and its history.
    public let metadata: MetadataClient?

    public init(record: ClientRecord, method: ClientAuthenticationMethod, metadata: MetadataClient? = nil) {
        self.record = record
        self.method = method
        self.metadata = metadata
    }

    public var id: String { record.id }
}
