import Foundation

/// A URL this server fetches because a peer's metadata document names it (RFC 8414 §2: `jwks_uri`,
/// `token_endpoint`), not because the operator configured it.
///
/// The operator's peer URLs (`metadata_url`, `jwks_uri`, `token_endpoint`) are their choice and may point
/// at an internal network, so they are fetched without the SSRF guard. A URL in the peer's document is the
/// peer's choice (another trust domain): at the configured metadata URL's origin (RFC 6454 §4: scheme,
/// host, port) it reaches nothing the operator did not already point this server at, so it is fetched like
/// the configured URL; anywhere else it goes through the outbound address guard, as a client's `jwks_uri`
/// does (RFC 9700 §4.16; docs/SECURITY.md, "A peer's metadata cannot aim this server at internal
/// addresses").
public enum LearnedPeerURL {
    /// The outbound guard refused a learned URL for what it is, not for a failure of the moment: an
    /// address outside the allowed networks, plain `http` to a public address, credentials, a redirect.
    /// The server's fetcher throws it; the engine answers with the refusal instead of "retry later".
    public struct Refused: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String

        public init(_ description: String) { self.description = description }
    }

    /// Whether `learned` has the same origin as `configured` (RFC 6454 §4): the same scheme and host
    /// (case-insensitively) and the same port, a missing port counting as the scheme's default.
    /// - Parameters:
    ///   - learned: the URL read from the peer's document.
    ///   - configured: the operator's metadata URL for that peer.
    /// - Returns: `true` only when both are absolute `http`/`https` URLs with the same origin.
    static func sameOrigin(_ learned: String, as configured: String) -> Bool {
        guard let learned = origin(of: learned), let configured = origin(of: configured) else { return false }
        return learned == configured
    }

    /// Scheme, host and port of an absolute `http`/`https` URL without credentials; `nil` for anything else.
    static func origin(of url: String) -> Origin? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = components.host?.lowercased(), !host.isEmpty,
            components.user == nil, components.password == nil
        else { return nil }
        return Origin(scheme: scheme, host: host, port: components.port ?? (scheme == "https" ? 443 : 80))
    }

    struct Origin: Hashable {
        var scheme: String
        var host: String
        var port: Int
    }
}
