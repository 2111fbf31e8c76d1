import Foundation
import TesseraProtocol
import TesseraStorage

/// Whether a redirect URI presented at the authorization endpoint or PAR is one the client
/// registered: exactly (RFC 9700 §4.1.3) — or, for a native application, a loopback `http` URI
/// that differs only in its port (RFC 8252 §7.3: "The authorization server MUST allow any port to
/// be specified at the time of the request for loopback IP redirect URIs"; RFC 9700 §4.1.3 makes
/// the same exception). One rule for every client that may be a native app: an operator-registered
/// or metadata-document public client (`none`: native apps cannot keep a secret, RFC 8252 §8.5) and a
/// self-registered `native` client (RFC 7591). A confidential operator client stays exact.
///
/// Only the port is free: the scheme is `http`, the host the same loopback IP literal
/// (`127.0.0.1` or `[::1]`), the path and query identical, no userinfo, no fragment. A `localhost`
/// URI is matched exactly, port included: RFC 8252 §8.3 calls it NOT RECOMMENDED, since the name
/// may resolve elsewhere or the app may listen on another interface, and §7.3's MUST names loopback
/// IP literals only. The code is then bound to the URI with that port (RFC 6749 §4.1.3, checked at
/// the token endpoint by ``AuthorizationCodeGrant``).
enum RedirectURIMatch {
    static func accepts(_ presented: String, for client: ClientRecord) -> Bool {
        if client.redirectURIs.contains(presented) { return true }
        guard mayChooseItsPort(client), let asked = loopbackIP(presented) else { return false }
        return client.redirectURIs.contains { uri in
            guard let registered = loopbackIP(uri) else { return false }
            return registered.host == asked.host && registered.percentEncodedPath == asked.percentEncodedPath
                && registered.percentEncodedQuery == asked.percentEncodedQuery
        }
    }

    /// Public clients (any registration) and self-registered native applications.
    static func mayChooseItsPort(_ client: ClientRecord) -> Bool {
        if client.authMethod == .none { return true }
        guard let registration = client.registration,
            let metadata = try? JSONDecoder().decode(ClientRegistrationMetadata.self, from: Data(registration.metadata.utf8))
        else { return false }
        return metadata.applicationType == "native"
    }

    /// `uri` parsed when it is `http` to a loopback IP literal without userinfo or fragment.
    private static func loopbackIP(_ uri: String) -> URLComponents? {
        guard let parts = URLComponents(string: uri), parts.scheme == "http", let host = parts.host,
            loopbackIPLiterals.contains(host), parts.user == nil, parts.password == nil, parts.fragment == nil
        else { return nil }
        return parts
    }

    /// RFC 8252 §7.3's loopback IP literals, as `URLComponents` reports their host.
    private static let loopbackIPLiterals: Set<String> = ["127.0.0.1", "::1", "[::1]"]

    /// Loopback hosts a self-registered native client may register plain `http` redirect URIs for
    /// (RFC 8252 §7.3, and `localhost`, §8.3, which clients still use; it then matches exactly).
    static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
    }
}
