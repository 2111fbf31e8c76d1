import Foundation
import HTTPMessageSignatures
public import TesseraProtocol

/// Finds a resource's authorization server from a 401 (RFC 9728 §5): reads `resource_metadata`
/// from the `WWW-Authenticate` challenge, fetches the metadata, and checks it names the resource
/// the client called (§3.3), so a resource cannot send a client to another resource's AS.
public enum ProtectedResourceDiscovery {
    /// - Parameters:
    ///   - response: the resource's 401 answer.
    ///   - requestedURL: the URL the client called. The metadata's `resource` must equal it or be a
    ///     path prefix of it on the same origin (a resource identifier covers the paths below it).
    ///   - transport: HTTP for the metadata fetch; AsyncHTTPClient by default.
    /// - Returns: the validated metadata; its `authorizationServers` are the issuers to use.
    /// - Throws: when the 401 names no metadata, the fetch fails, or the metadata names another resource.
    public static func discover(
        from response: TesseraHTTPResponse,
        requestedURL: String,
        transport: (any TesseraTransport)? = nil
    ) async throws
        -> ProtectedResourceMetadata
    {
        let challenges = response.headerFields.filter { $0.name == "www-authenticate" }.flatMap { AuthenticationChallenge.parse($0.value) }
        guard let metadataURL = challenges.lazy.compactMap({ $0["resource_metadata"] }).first else {
            throw OAuthClientError("the response has no WWW-Authenticate resource_metadata parameter (RFC 9728 §5.1)")
        }
        // The metadata must live on the resource's own origin: never fetch a URL elsewhere.
        guard OAuthClient.origin(metadataURL) == OAuthClient.origin(requestedURL),
            metadataURL.lowercased().hasPrefix("https://") || metadataURL.lowercased().hasPrefix("http://")
        else { throw OAuthClientError("resource_metadata points to another origin than the resource") }
        let request: HTTPSignatureRequest
        do {
            request = try HTTPSignatureRequest(
                method: "GET",
                targetURI: metadataURL,
                headerFields: [HTTPSignatureField(name: "Accept", value: "application/json")]
            )
        } catch {
            throw OAuthClientError("resource_metadata is not an absolute URL")
        }
        let answer = try await (transport ?? AsyncHTTPClientTransport()).send(request)
        guard answer.status == 200, let metadata = try? JSONDecoder().decode(ProtectedResourceMetadata.self, from: Data(answer.body)) else {
            throw OAuthClientError("the protected resource metadata could not be read (HTTP \(answer.status))")
        }
        guard covers(metadata.resource, requestedURL) else {
            throw OAuthClientError("the metadata describes '\(metadata.resource)', not the resource that was called (RFC 9728 §3.3)")
        }
        return metadata
    }

    /// Whether resource identifier `resource` names `url`: same origin and a path prefix ending at a segment boundary.
    static func covers(_ resource: String, _ url: String) -> Bool {
        guard let r = URLComponents(string: resource), let u = URLComponents(string: url), r.fragment == nil,
            OAuthClient.origin(resource) == OAuthClient.origin(url)
        else { return false }
        let resourcePath = r.percentEncodedPath.hasSuffix("/") ? String(r.percentEncodedPath.dropLast()) : r.percentEncodedPath
        let path = u.percentEncodedPath
        return resourcePath.isEmpty || path == resourcePath || path.hasPrefix(resourcePath + "/")
    }
}
