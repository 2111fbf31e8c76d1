import Foundation
import TesseraProtocol
import TesseraStorage

/// Whether a redirect URI presented at the authorization endpoint or PAR is one the client
/// registered: exactly (RFC 9700 §4.1.3) — or, for a self-registered native application, a
/// loopback `http` URI that differs only in its port (RFC 8252 §7.3: "The authorization server
/// MUST allow any port to be specified at the time of the request for loopback IP redirect URIs").
/// Operator-registered and metadata-document clients keep exact matching.
enum RedirectURIMatch {
    static func accepts(_ presented: String, for client: ClientRecord) -> Bool {
        if client.redirectURIs.contains(presented) { return true }
        guard let registration = client.registration,
            let metadata = try? JSONDecoder().decode(ClientRegistrationMetadata.self, from: Data(registration.metadata.utf8)),
            metadata.applicationType == "native",
            let asked = URLComponents(string: presented), asked.scheme == "http", let askedHost = asked.host, isLoopback(askedHost),
            asked.user == nil, asked.password == nil, asked.fragment == nil
        else { return false }
        return client.redirectURIs.contains { uri in
            guard let registered = URLComponents(string: uri), registered.scheme?.lowercased() == "http", let host = registered.host else {
                return false
            }
            return host.lowercased() == askedHost.lowercased() && registered.percentEncodedPath == asked.percentEncodedPath
                && registered.percentEncodedQuery == asked.percentEncodedQuery
        }
    }

    /// Loopback hosts of RFC 8252 §7.3 (and `localhost`, §8.3, which clients still use).
    static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
    }
}
