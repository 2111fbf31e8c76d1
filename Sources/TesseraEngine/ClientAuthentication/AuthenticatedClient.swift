public import TesseraProtocol
public import TesseraStorage

/// A client whose credentials were checked, and how (ARCHITECTURE "Authenticate the caller").
public struct AuthenticatedClient: Sendable, Hashable {
    public let record: ClientRecord
    public let method: ClientAuthenticationMethod

    public var id: String { record.id }
}
