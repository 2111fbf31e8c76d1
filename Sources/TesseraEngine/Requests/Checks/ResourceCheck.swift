import Foundation
import TesseraProtocol

/// Resource indicators (RFC 8707 §2): each `resource` is an absolute URI without a fragment;
/// the token's audience is the resources asked for, or the default audience.
struct ResourceCheck: Sendable {
    let defaultAudience: [String]
    /// Clients that get no default audience: a request of theirs must name its resources.
    var requirement = ResourceIndicatorRequirement()

    /// The audience for a request of `client`, which must name its resources if the requirement applies to it.
    /// - Parameters:
    ///   - resources: the request's `resource` values.
    ///   - client: the requesting client's identifier.
    /// - Returns: the token audience.
    /// - Throws: ``OAuthError`` `invalid_target` when `resource` is missing though required, or not acceptable.
    func audience(for resources: [String], client: String) throws(OAuthError) -> [String] {
        try requireNamed(resources, client: client)
        return try audience(for: resources)
    }

    /// Refuses a request of `client` that names no resource when the requirement applies to it.
    /// - Parameters:
    ///   - resources: the resources the token would be for.
    ///   - client: the requesting client's identifier.
    /// - Throws: ``OAuthError`` `invalid_target` (RFC 8707 §2).
    func requireNamed(_ resources: [String], client: String) throws(OAuthError) {
        guard resources.isEmpty, requirement.applies(to: client) else { return }
        throw OAuthError.invalidTarget(
            "this server issues tokens to this client only for a named resource: send the 'resource' parameter (RFC 8707 §2; MCP authorization requires it in authorization and token requests)"
        )
    }

    /// - Throws: ``OAuthError`` `invalid_target` for a value that is not an acceptable absolute URI.
    func audience(for resources: [String]) throws(OAuthError) -> [String] {
        guard !resources.isEmpty else { return defaultAudience }
        guard resources.count <= 10 else { throw OAuthError.invalidTarget("at most 10 resource indicators per request") }
        var audience: [String] = []
        for resource in resources {
            guard resource.utf8.count <= 2048, resource.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }),
                let components = URLComponents(string: resource), let scheme = components.scheme, !scheme.isEmpty,
                components.fragment == nil
            else {
                throw OAuthError.invalidTarget("resource must be an absolute URI without a fragment (RFC 8707 §2)")
            }
            if (scheme == "http" || scheme == "https"), (components.host ?? "").isEmpty {
                throw OAuthError.invalidTarget("resource must be an absolute URI with a host")
            }
            if !audience.contains(resource) { audience.append(resource) }
        }
        return audience
    }
}
