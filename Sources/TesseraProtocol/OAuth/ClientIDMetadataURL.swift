import Foundation

/// Grammar checks for a `client_id` that is a metadata document URL
/// (draft-ietf-oauth-client-id-metadata-document-01 §3), made before anything is fetched.
public enum ClientIDMetadataURL {
    /// Whether `clientID` is meant as a metadata document URL (and so must pass ``validate(_:allowHTTP:)``).
    public static func isCandidate(_ clientID: String) -> Bool {
        clientID.hasPrefix("https://") || clientID.hasPrefix("http://")
    }

    /// - Parameters:
    ///   - clientID: the `client_id` as presented.
    ///   - allowHTTP: accept `http://` (local development and tests only; the fetcher still
    ///     refuses plain HTTP to any address an operator did not allow-list).
    /// - Throws: ``OAuthError`` `invalid_client` naming the rule broken.
    public static func validate(_ clientID: String, allowHTTP: Bool) throws(OAuthError) {
        func refuse(_ why: String) -> OAuthError { .invalidClient("client_id is not a valid metadata document URL: \(why)") }
        guard clientID.utf8.count <= 255 else { throw refuse("longer than 255 characters") }
        let prefix: String
        if clientID.hasPrefix("https://") {
            prefix = "https://"
        } else if allowHTTP, clientID.hasPrefix("http://") {
            prefix = "http://"
        } else {
            throw refuse("the scheme must be https")
        }
        guard clientID.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" }) else {
            throw refuse("it holds spaces, control characters, backslashes or non-ASCII characters")
        }
        guard !clientID.contains("#") else { throw refuse("it must not have a fragment") }
        guard !clientID.contains("?") else { throw refuse("it must not have a query") }
        let rest = clientID.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: "/") else { throw refuse("it must have a path") }
        let authority = rest[..<slash]
        guard !authority.isEmpty else { throw refuse("it has no host") }
        guard !authority.contains("@") else { throw refuse("it must not carry a user name or password") }
        let path = rest[slash...]
        guard path.count > 1 else { throw refuse("it must have a path") }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let decoded = segment.lowercased().replacingOccurrences(of: "%2e", with: ".")
            guard decoded != "." && decoded != ".." else { throw refuse("it must not have '.' or '..' path segments") }
        }
    }
}
