import Foundation
import TesseraEngine
import TesseraProtocol

/// The config-file sections for clients met on the fly: `outbound_network:`, `client_id_metadata_documents:`
/// and `client_challenges:` (docs/client-challenge.md).
extension ConfigurationLoader {
    /// `outbound_network:` (formerly `outbound:`, still read with a deprecation notice) — where the
    /// server may connect when it fetches a URL a client chose.
    struct FileOutbound: Decodable {
        var allowedNetworks: [String]?
        enum CodingKeys: String, CodingKey { case allowedNetworks = "allowed_networks" }

        /// - Parameters:
        ///   - configuration: the configuration the section is applied to.
        ///   - section: the key the section was written under, for error messages.
        /// - Throws: ``ConfigurationError`` naming the entry that is not a network.
        func apply(to configuration: inout ServerConfiguration, section: String) throws(ConfigurationError) {
            guard let allowedNetworks else { return }
            configuration.outboundPolicy.allowedNetworks = try allowedNetworks.enumerated().map { index, text throws(ConfigurationError) in
                guard let network = IPNetwork(text) else {
                    throw ConfigurationError(
                        field: "\(section).allowed_networks[\(index)]",
                        "must be an IP address or CIDR block such as 127.0.0.1/32"
                    )
                }
                return network
            }
        }
    }

    /// `client_id_metadata_documents:` — clients whose `client_id` is the URL of their metadata.
    struct FileClientMetadata: Decodable {
        var enabled: Bool?
        var allowHTTP: Bool?
        var allowedGrantTypes: [String]?
        var allowedScopes: [String]?
        var minimumCacheLifetime: Double?
        var maximumCacheLifetime: Double?
        /// RFC 8707 `resource` required of these clients (MCP clients send it; docs/mcp.md).
        var requireResource: Bool?

        enum CodingKeys: String, CodingKey {
            case requireResource = "require_resource"
            case enabled
            case allowHTTP = "allow_http"
            case allowedGrantTypes = "allowed_grant_types"
            case allowedScopes = "allowed_scopes"
            case minimumCacheLifetime = "minimum_cache_lifetime"
            case maximumCacheLifetime = "maximum_cache_lifetime"
        }

        func apply(to configuration: inout ServerConfiguration) {
            if let enabled { configuration.clientMetadataDocumentsEnabled = enabled }
            if let allowHTTP { configuration.clientMetadata.allowHTTP = allowHTTP }
            if let allowedGrantTypes { configuration.clientMetadata.allowedGrantTypes = allowedGrantTypes.map(GrantType.init(rawValue:)) }
            if let allowedScopes { configuration.clientMetadata.allowedScopes = allowedScopes }
            if let minimumCacheLifetime { configuration.clientMetadata.minimumCacheLifetime = minimumCacheLifetime }
            if let maximumCacheLifetime { configuration.clientMetadata.maximumCacheLifetime = maximumCacheLifetime }
            if let requireResource { configuration.resourceIndicators.metadataDocumentClients = requireResource }
        }
    }

    /// `client_challenges:` — the Cedar policy that may challenge token requests, and who may vouch.
    struct FileClientChallenges: Decodable {
        struct Signer: Decodable {
            var issuer: String
            var jwks: PublicJWKSet
        }
        var policy: String?
        var policyFile: String?
        var sessionLifetime: Double?
        var maximumEvidenceAge: Double?
        var attesters: [Signer]?
        var mandateIssuers: [Signer]?

        enum CodingKeys: String, CodingKey {
            case policy
            case policyFile = "policy_file"
            case sessionLifetime = "session_lifetime"
            case maximumEvidenceAge = "maximum_evidence_age"
            case attesters
            case mandateIssuers = "mandate_issuers"
        }

        func apply(to configuration: inout ServerConfiguration) throws(ConfigurationError) {
            var challenges = configuration.clientChallenges
            switch (policy, policyFile) {
            case (let text?, nil):
                challenges.policy = text
                challenges.policyFile = "client_challenges.policy"
            case (nil, let file?):
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw ConfigurationError(field: "client_challenges.policy_file", "cannot read '\(file)'")
                }
                challenges.policy = text
                challenges.policyFile = file
            case (_?, _?):
                throw ConfigurationError(field: "client_challenges", "give either policy or policy_file, not both")
            case (nil, nil):
                break
            }
            if let sessionLifetime { challenges.sessionLifetime = sessionLifetime }
            if let maximumEvidenceAge { challenges.maximumEvidenceAge = maximumEvidenceAge }
            if let attesters { challenges.attesters = attesters.map { .init(issuer: $0.issuer, jwks: $0.jwks) } }
            if let mandateIssuers { challenges.mandateIssuers = mandateIssuers.map { .init(issuer: $0.issuer, jwks: $0.jwks) } }
            configuration.clientChallenges = challenges
        }
    }
}
