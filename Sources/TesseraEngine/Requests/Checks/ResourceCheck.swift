import Foundation
import TesseraProtocol
import TesseraStorage

/// Resource indicators (RFC 8707 §2): each `resource` is an absolute URI without a fragment.
///
/// The one audience rule of both doors (issue 19): a token's audience is the resources asked for, then
/// the `locations` of the rights granted — RFC 9396 §2 RAR entries at the OAuth door, RFC 9635 §8
/// access objects at the GNAP door, where they are the only way to name a server — each once, in order;
/// the default audience (the issuer) when neither names a server.
struct ResourceCheck: Sendable {
    let defaultAudience: [String]
    /// Clients that get no default audience: a request of theirs must name its resources.
    var requirement = ResourceIndicatorRequirement()

    /// The audience for a request of `client`, which must name its resources if the requirement applies to it.
    /// - Parameters:
    ///   - resources: the request's `resource` values.
    ///   - client: the requesting client.
    /// - Returns: the token audience.
    /// - Throws: ``OAuthError`` `invalid_target` when `resource` is missing though required, or not acceptable.
    func audience(for resources: [String], client: ClientRecord) throws(OAuthError) -> [String] {
        try requireNamed(resources, client: client)
        return try audience(for: resources)
    }

    /// Refuses a request of `client` that names no resource when the requirement applies to it.
    /// - Parameters:
    ///   - resources: the resources the token would be for.
    ///   - client: the requesting client.
    /// - Throws: ``OAuthError`` `invalid_target` (RFC 8707 §2).
    func requireNamed(_ resources: [String], client: ClientRecord) throws(OAuthError) {
        guard resources.isEmpty, requirement.applies(to: client) else { return }
        throw OAuthError.invalidTarget(
            "this server issues tokens to this client only for a named resource: send the 'resource' parameter (RFC 8707 §2; MCP authorization requires it in authorization and token requests)"
        )
    }

    /// - Parameters:
    ///   - resources: the `resource` values asked for (RFC 8707 §2).
    ///   - locations: the granted rights' `locations` (see ``locations(of:)``).
    /// - Returns: the token's `aud`.
    /// - Throws: ``OAuthError`` `invalid_target` for a resource that is not an acceptable absolute URI.
    func audience(for resources: [String], locations: [String] = []) throws(OAuthError) -> [String] {
        // One spelling per audience, so the decision is asked about the spelling the token carries (review round 12, K8).
        if let other = (resources + locations).first(where: { !ResourceURI.isNormal($0) }) {
            throw OAuthError.invalidTarget("'\(FormParameters.printableValue(other))' \(ResourceURI.rule)")
        }
        guard !resources.isEmpty else { return locations.isEmpty ? defaultAudience : Self.unique(locations) }
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
            audience.append(resource)
        }
        return Self.unique(audience + locations)
    }

    /// The audiences a token's decision is asked about (docs/policy.md, `Resource::"…"`): its audience, unless that
    /// is only the default one no request named. A `resource`, a RAR entry's `locations` and a derived token's
    /// inherited audience are all audiences the token will be accepted at, so every one is asked about (review
    /// round 11, J1 and J2).
    /// - Parameter audience: the token's audience.
    /// - Returns: the audiences to ask about.
    func named(_ audience: [String]) -> [String] { audience == defaultAudience ? [] : audience }

    /// The audience of a token drawn from a grant (an authorization code, a refresh token): the `resource` values the
    /// token request names, each one the grant holds (RFC 8707 §2.2: "a subset of" what was authorized), or the
    /// grant's whole audience when it names none.
    /// - Parameters:
    ///   - resources: the token request's `resource` values.
    ///   - granted: the grant's audience.
    /// - Returns: the token's `aud`.
    /// - Throws: ``OAuthError`` `invalid_target` for a resource the grant does not hold, or not an acceptable URI.
    func narrowed(to resources: [String], within granted: [String]) throws(OAuthError) -> [String] {
        guard !resources.isEmpty else { return granted }
        let requested = try audience(for: resources)
        guard let outside = requested.first(where: { !granted.contains($0) }) else { return requested }
        throw OAuthError.invalidTarget(
            "resource '\(FormParameters.printableValue(outside))' is not one this grant was approved for; a token request may only narrow the grant's resources (RFC 8707 §2.2)"
        )
    }

    /// Every `locations` entry of RAR entries / GNAP access objects (RFC 9396 §2, RFC 9635 §8.1), in order.
    static func locations(of rights: [JSONValue]?) -> [String] {
        (rights ?? []).flatMap { right -> [String] in
            guard case .object(let entry) = right, case .array(let values) = entry["locations"] else { return [] }
            return values.compactMap { if case .string(let location) = $0 { location } else { nil } }
        }
    }

    /// Each value once, first occurrence kept (NSOrderedSet does not deduplicate bridged Strings on Linux).
    static func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}
