import Foundation
import TesseraProtocol

/// Resource indicators (RFC 8707 §2): each `resource` is an absolute URI without a fragment;
/// the token's audience is the resources asked for, or the default audience.
struct ResourceCheck: Sendable {
    let defaultAudience: [String]

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
