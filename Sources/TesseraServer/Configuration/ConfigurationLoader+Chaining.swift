import Foundation
import TesseraEngine
import TesseraProtocol

/// The `chaining:` section of the config file (identity chaining across trust domains).
struct FileChaining: Decodable {
    var domain: String?
    var grantLifetime: Double?
    var maximumGrantLifetime: Double?
    var clockSkew: Double?
    var jwksRefetchInterval: Double?
    var impersonationClients: [String]?
    var delegationClients: [String]?
    var policyFile: String?
    var idJAGLifetime: Double?
    var idJAGPolicyFile: String?
    var peers: [FilePeer]?
    var subjectTokenIssuers: [FileIssuer]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case domain
        case grantLifetime = "grant_lifetime"
        case maximumGrantLifetime = "maximum_grant_lifetime"
        case clockSkew = "clock_skew"
        case jwksRefetchInterval = "jwks_refetch_interval"
        case impersonationClients = "impersonation_clients"
        case delegationClients = "delegation_clients"
        case policyFile = "policy_file"
        case idJAGLifetime = "id_jag_lifetime"
        case idJAGPolicyFile = "id_jag_policy_file"
        case peers
        case subjectTokenIssuers = "subject_token_issuers"
    }

    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.allCases.map(\.rawValue))
        let keyed = try decoder.container(keyedBy: CodingKeys.self)
        domain = try keyed.decodeIfPresent(String.self, forKey: .domain)
        grantLifetime = try keyed.decodeIfPresent(Double.self, forKey: .grantLifetime)
        maximumGrantLifetime = try keyed.decodeIfPresent(Double.self, forKey: .maximumGrantLifetime)
        clockSkew = try keyed.decodeIfPresent(Double.self, forKey: .clockSkew)
        jwksRefetchInterval = try keyed.decodeIfPresent(Double.self, forKey: .jwksRefetchInterval)
        impersonationClients = try keyed.decodeIfPresent([String].self, forKey: .impersonationClients)
        delegationClients = try keyed.decodeIfPresent([String].self, forKey: .delegationClients)
        policyFile = try keyed.decodeIfPresent(String.self, forKey: .policyFile)
        idJAGLifetime = try keyed.decodeIfPresent(Double.self, forKey: .idJAGLifetime)
        idJAGPolicyFile = try keyed.decodeIfPresent(String.self, forKey: .idJAGPolicyFile)
        peers = try keyed.decodeIfPresent([FilePeer].self, forKey: .peers)
        subjectTokenIssuers = try keyed.decodeIfPresent([FileIssuer].self, forKey: .subjectTokenIssuers)
    }

    func apply(to trust: inout TrustConfiguration) throws(ConfigurationError) {
        if let domain { trust.domain = domain }
        if let grantLifetime { trust.grantLifetime = grantLifetime }
        if let maximumGrantLifetime { trust.maximumGrantLifetime = maximumGrantLifetime }
        if let clockSkew { trust.clockSkew = clockSkew }
        if let jwksRefetchInterval { trust.jwksRefetchInterval = jwksRefetchInterval }
        if let impersonationClients { trust.impersonationClients = Set(impersonationClients) }
        if let delegationClients { trust.delegationClients = Set(delegationClients) }
        if let policyFile {
            let text: String
            do { text = try String(contentsOfFile: policyFile, encoding: .utf8) } catch {
                throw ConfigurationError(field: "chaining.policy_file", "cannot be read: \(policyFile)")
            }
            do { trust.policy = try ChainingPolicy(text: text, source: policyFile) } catch {
                throw ConfigurationError(field: "chaining.policy_file", "is not a valid Cedar policy set: \(error.message)")
            }
        }
        if let idJAGLifetime { trust.idJAGLifetime = idJAGLifetime }
        if let idJAGPolicyFile {
            let text: String
            do { text = try String(contentsOfFile: idJAGPolicyFile, encoding: .utf8) } catch {
                throw ConfigurationError(field: "chaining.id_jag_policy_file", "cannot be read: \(idJAGPolicyFile)")
            }
            do { trust.idJAGPolicy = try ChainingPolicy(text: text, source: idJAGPolicyFile) } catch {
                throw ConfigurationError(field: "chaining.id_jag_policy_file", "is not a valid Cedar policy set: \(error.message)")
            }
        }
        if let peers {
            trust.peers = []
            for (index, file) in peers.enumerated() { trust.peers.append(try file.peer(field: "chaining.peers[\(index)]")) }
        }
        if let subjectTokenIssuers {
            trust.subjectTokenIssuers = []
            for (index, file) in subjectTokenIssuers.enumerated() {
                trust.subjectTokenIssuers.append(try file.issuer(field: "chaining.subject_token_issuers[\(index)]"))
            }
        }
    }

    struct FileTranscription: Decodable {
        var subjectMap: [String: String]?
        var subjectClaim: String?
        var requireSubjectMapping: Bool?
        var claims: [String]?
        var claimPrefix: String?
        var remove: [String]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case subjectMap = "subject_map"
            case subjectClaim = "subject_claim"
            case requireSubjectMapping = "require_subject_mapping"
            case claims
            case claimPrefix = "claim_prefix"
            case remove
        }

        init(from decoder: any Decoder) throws {
            try rejectUnknownKeys(decoder, CodingKeys.allCases.map(\.rawValue))
            let keyed = try decoder.container(keyedBy: CodingKeys.self)
            subjectMap = try keyed.decodeIfPresent([String: String].self, forKey: .subjectMap)
            subjectClaim = try keyed.decodeIfPresent(String.self, forKey: .subjectClaim)
            requireSubjectMapping = try keyed.decodeIfPresent(Bool.self, forKey: .requireSubjectMapping)
            claims = try keyed.decodeIfPresent([String].self, forKey: .claims)
            claimPrefix = try keyed.decodeIfPresent(String.self, forKey: .claimPrefix)
            remove = try keyed.decodeIfPresent([String].self, forKey: .remove)
        }

        var transcription: ClaimsTranscription {
            var result = ClaimsTranscription()
            result.subjectMap = subjectMap ?? [:]
            result.subjectClaim = subjectClaim
            result.requireSubjectMapping = requireSubjectMapping ?? false
            result.claims = claims ?? []
            result.claimPrefix = claimPrefix ?? ""
            result.remove = remove ?? []
            return result
        }
    }

    struct FilePeer: Decodable {
        var name: String
        var issuer: String
        var jwks: PublicJWKSet?
        var jwksURI: String?
        var metadataURL: String?
        var audiences: [String]?
        var algorithms: [String]?
        var scopes: String?
        var outbound: FileTranscription?
        var inbound: FileTranscription?
        var redeem: FileRedeem?
        var idJAG: FileIDJAG?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, issuer, jwks
            case jwksURI = "jwks_uri"
            case metadataURL = "metadata_url"
            case audiences, algorithms, scopes, outbound, inbound, redeem
            case idJAG = "id_jag"
        }

        init(from decoder: any Decoder) throws {
            try rejectUnknownKeys(decoder, CodingKeys.allCases.map(\.rawValue))
            let keyed = try decoder.container(keyedBy: CodingKeys.self)
            name = try keyed.decode(String.self, forKey: .name)
            issuer = try keyed.decode(String.self, forKey: .issuer)
            jwks = try decodeJWKS(keyed, .jwks)
            jwksURI = try keyed.decodeIfPresent(String.self, forKey: .jwksURI)
            metadataURL = try keyed.decodeIfPresent(String.self, forKey: .metadataURL)
            audiences = try keyed.decodeIfPresent([String].self, forKey: .audiences)
            algorithms = try keyed.decodeIfPresent([String].self, forKey: .algorithms)
            scopes = try keyed.decodeIfPresent(String.self, forKey: .scopes)
            outbound = try keyed.decodeIfPresent(FileTranscription.self, forKey: .outbound)
            inbound = try keyed.decodeIfPresent(FileTranscription.self, forKey: .inbound)
            redeem = try keyed.decodeIfPresent(FileRedeem.self, forKey: .redeem)
            idJAG = try keyed.decodeIfPresent(FileIDJAG.self, forKey: .idJAG)
        }

        func peer(field: String) throws(ConfigurationError) -> TrustConfiguration.Peer {
            var peer = TrustConfiguration.Peer(name: name, issuer: issuer, audiences: audiences ?? [])
            peer.jwks = jwks
            peer.jwksURI = jwksURI
            peer.metadataURL = metadataURL
            if let algorithms { peer.algorithms = Set(algorithms.map(JWSAlgorithm.init(rawValue:))) }
            if let scopes {
                do { peer.scopes = try Scope(parsing: scopes) } catch {
                    throw ConfigurationError(field: field + ".scopes", "contains a character RFC 6749 §3.3 does not allow")
                }
            }
            if let outbound { peer.outbound = outbound.transcription }
            if let inbound { peer.inbound = inbound.transcription }
            if let redeem { peer.redeem = try redeem.redemption(field: field + ".redeem") }
            if let idJAG { peer.idJAG = try idJAG.trust(field: field + ".id_jag") }
            return peer
        }
    }

    /// `id_jag:` of a peer — ID-JAGs exchanged with it (draft-ietf-oauth-identity-assertion-authz-grant).
    struct FileIDJAG: Decodable {
        var resources: [String]?
        var clients: [String]?
        var scopes: String?
        var clientIDs: [String: String]?
        var stepUp: FileStepUp?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case resources, clients, scopes
            case clientIDs = "client_ids"
            case stepUp = "step_up"
        }

        init(from decoder: any Decoder) throws {
            try rejectUnknownKeys(decoder, CodingKeys.allCases.map(\.rawValue))
            let keyed = try decoder.container(keyedBy: CodingKeys.self)
            resources = try keyed.decodeIfPresent([String].self, forKey: .resources)
            clients = try keyed.decodeIfPresent([String].self, forKey: .clients)
            scopes = try keyed.decodeIfPresent(String.self, forKey: .scopes)
            clientIDs = try keyed.decodeIfPresent([String: String].self, forKey: .clientIDs)
            stepUp = try keyed.decodeIfPresent(FileStepUp.self, forKey: .stepUp)
        }

        func trust(field: String) throws(ConfigurationError) -> IDJAGTrust {
            var result = IDJAGTrust()
            result.resources = resources ?? []
            result.clients = clients ?? []
            if let scopes {
                do { result.scopes = try Scope(parsing: scopes) } catch {
                    throw ConfigurationError(field: field + ".scopes", "contains a character RFC 6749 §3.3 does not allow")
                }
            }
            result.clientIDs = clientIDs ?? [:]
            result.stepUp = stepUp.map { AuthenticationRequirement(acrValues: $0.acrValues ?? [], maxAge: $0.maxAge) }
            return result
        }
    }

    /// `id_jag.step_up:` — the sign-in an ID-JAG for the peer needs (RFC 9470 §3 `max_age`, `acr_values`);
    /// checked when the configuration is validated (``ServerConfiguration``).
    struct FileStepUp: Decodable {
        var maxAge: Int?
        var acrValues: [String]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case maxAge = "max_age"
            case acrValues = "acr_values"
        }

        init(from decoder: any Decoder) throws {
            try rejectUnknownKeys(decoder, CodingKeys.allCases.map(\.rawValue))
            let keyed = try decoder.container(keyedBy: CodingKeys.self)
            maxAge = try keyed.decodeIfPresent(Int.self, forKey: .maxAge)
            acrValues = try keyed.decodeIfPresent([String].self, forKey: .acrValues)
        }
    }

    /// `redeem:` of a peer — we present our grants at the peer ourselves (identity chaining Appendix B.2).
    struct FileRedeem: Decodable {
        var tokenEndpoint: String?
        var clientID: String
        var authentication: String
        var clientSecret: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case tokenEndpoint = "token_endpoint"
            case clientID = "client_id"
            case authentication
            case clientSecret = "client_secret"
        }

        init(from decoder: any Decoder) throws {
            try rejectUnknownKeys(decoder, CodingKeys.allCases.map(\.rawValue))
            let keyed = try decoder.container(keyedBy: CodingKeys.self)
            tokenEndpoint = try keyed.decodeIfPresent(String.self, forKey: .tokenEndpoint)
            clientID = try keyed.decode(String.self, forKey: .clientID)
            authentication = try keyed.decode(String.self, forKey: .authentication)
            clientSecret = try keyed.decodeIfPresent(String.self, forKey: .clientSecret)
        }

        func redemption(field: String) throws(ConfigurationError) -> TrustConfiguration.Peer.Redemption {
            let method: TrustConfiguration.Peer.Redemption.Authentication
            switch authentication {
            case "private_key_jwt":
                guard clientSecret == nil else {
                    throw ConfigurationError(field: field + ".client_secret", "is not used with private_key_jwt (we sign with our own key)")
                }
                method = .privateKeyJWT
            case "client_secret_basic":
                guard let clientSecret, !clientSecret.isEmpty else {
                    throw ConfigurationError(field: field + ".client_secret", "is required with client_secret_basic")
                }
                method = .clientSecretBasic(secret: clientSecret)
            default:
                throw ConfigurationError(field: field + ".authentication", "must be private_key_jwt or client_secret_basic")
            }
            return .init(clientID: clientID, tokenEndpoint: tokenEndpoint, authentication: method)
        }
    }

    struct FileIssuer: Decodable {
        var issuer: String
        var jwks: PublicJWKSet?
        var jwksURI: String?
        var metadataURL: String?
        var audiences: [String]?
        var algorithms: [String]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case issuer, jwks
            case jwksURI = "jwks_uri"
            case metadataURL = "metadata_url"
            case audiences, algorithms
        }

        init(from decoder: any Decoder) throws {
            try rejectUnknownKeys(decoder, CodingKeys.allCases.map(\.rawValue))
            let keyed = try decoder.container(keyedBy: CodingKeys.self)
            issuer = try keyed.decode(String.self, forKey: .issuer)
            jwks = try decodeJWKS(keyed, .jwks)
            jwksURI = try keyed.decodeIfPresent(String.self, forKey: .jwksURI)
            metadataURL = try keyed.decodeIfPresent(String.self, forKey: .metadataURL)
            audiences = try keyed.decodeIfPresent([String].self, forKey: .audiences)
            algorithms = try keyed.decodeIfPresent([String].self, forKey: .algorithms)
        }

        func issuer(field: String) throws(ConfigurationError) -> TrustConfiguration.SubjectTokenIssuer {
            var result = TrustConfiguration.SubjectTokenIssuer(issuer: issuer)
            result.jwks = jwks
            result.jwksURI = jwksURI
            result.metadataURL = metadataURL
            result.audiences = audiences ?? []
            if let algorithms { result.algorithms = Set(algorithms.map(JWSAlgorithm.init(rawValue:))) }
            return result
        }
    }
}

/// `jwks` written inline as a mapping, or as a JSON string.
private func decodeJWKS<K: CodingKey>(_ keyed: KeyedDecodingContainer<K>, _ key: K) throws -> PublicJWKSet? {
    if let text = try? keyed.decodeIfPresent(String.self, forKey: key) {
        return try JSONDecoder().decode(PublicJWKSet.self, from: Data(text.utf8))
    }
    return try keyed.decodeIfPresent(PublicJWKSet.self, forKey: key)
}

/// Refuses keys the section does not know, so a misspelt setting is an error, not silently ignored.
private func rejectUnknownKeys(_ decoder: any Decoder, _ known: [String]) throws {
    let container = try decoder.container(keyedBy: ConfigurationLoader.AnyKey.self)
    if let unknown = container.allKeys.first(where: { !known.contains($0.stringValue) }) {
        throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [unknown], debugDescription: "unknown setting"))
    }
}
