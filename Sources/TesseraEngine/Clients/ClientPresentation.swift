import Foundation

/// How a page names the application that asks (the sign-in and consent pages): a name, whether the
/// operator vouches for it, and an identifier a person can compare.
///
/// A name the client gives itself — a GNAP `client.display.name` (RFC 9635 §2.3.2) or a Client ID
/// Metadata Document's `client_name` — is not verified and must be shown as such ("as it names
/// itself"); a name the operator configured (a registered GNAP instance) is.
public struct ClientPresentation: Sendable, Hashable {
    /// The name to show, if any.
    public var name: String?
    /// Whether the operator configured ``name`` (otherwise it is the client's own claim).
    public var nameIsVerified: Bool
    /// `instance <id>`, `key <thumbprint>`, or an OAuth `client_id`.
    public var identity: String
    /// For a client known only by its metadata document: the host that published it.
    public var publisher: String?
    /// The client registered itself (RFC 7591): nobody vouched for its name or its redirect URIs.
    public var isSelfRegistered: Bool
    /// Every redirect URI is on this computer (loopback), so any local program could pose as the client
    /// (MCP security considerations, "localhost impersonation").
    public var returnsOnlyToThisComputer: Bool

    public init(
        name: String?,
        nameIsVerified: Bool,
        identity: String,
        publisher: String? = nil,
        isSelfRegistered: Bool = false,
        returnsOnlyToThisComputer: Bool = false
    ) {
        self.name = name
        self.nameIsVerified = nameIsVerified
        self.identity = identity
        self.publisher = publisher
        self.isSelfRegistered = isSelfRegistered
        self.returnsOnlyToThisComputer = returnsOnlyToThisComputer
    }

    /// Whether every one of `redirectURIs` (at least one) is a loopback URI.
    public static func loopbackOnly(_ redirectURIs: [String]) -> Bool {
        !redirectURIs.isEmpty
            && redirectURIs.allSatisfy { uri in
                ["localhost", "127.0.0.1", "[::1]", "::1"].contains((URLComponents(string: uri)?.host ?? "").lowercased())
            }
    }
}
