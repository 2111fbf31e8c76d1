import Foundation
import TesseraEngine
import TesseraProtocol

extension ServerConfiguration {
    /// Checks the `chaining:` section: every peer and issuer well formed, nothing ambiguous.
    /// - Throws: ``ConfigurationError`` naming the field.
    func validateChaining() throws(ConfigurationError) {
        let trust = chaining
        try require((1...300).contains(trust.grantLifetime), "chaining.grant_lifetime", "must be 1 to 300 seconds")
        try require((10...3600).contains(trust.maximumGrantLifetime), "chaining.maximum_grant_lifetime", "must be 10 to 3600 seconds")
        try require((0...300).contains(trust.clockSkew), "chaining.clock_skew", "must be 0 to 300 seconds")
        try require((0...3600).contains(trust.jwksRefetchInterval), "chaining.jwks_refetch_interval", "must be 0 to 3600 seconds")
        // Translated into the one vocabulary (docs/policy.md); a policy that cannot be stops the server.
        let files: [(String, ChainingPolicy?, PolicyTranslation.Role)] = [
            ("chaining.policy_file", trust.policy, .peerGrants), ("chaining.id_jag_policy_file", trust.idJAGPolicy, .idJAG),
        ]
        for case (let field, let file?, let role) in files {
            do { _ = try TranslatedPolicies(text: file.text, source: file.source, role: role) } catch {
                throw ConfigurationError(field: field, "cannot be translated into the one policy vocabulary: \(error)")
            }
        }
        var names = Set<String>()
        var issuers = Set<String>()
        var targets = Set<String>()
        for (index, peer) in trust.peers.enumerated() {
            let field = "chaining.peers[\(index)]"
            guard !peer.name.isEmpty, peer.name.utf8.count <= 64,
                peer.name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
            else {
                throw ConfigurationError(field: field + ".name", "must be 1 to 64 printable ASCII characters")
            }
            guard names.insert(peer.name).inserted else {
                throw ConfigurationError(field: field + ".name", "'\(peer.name)' is listed twice")
            }
            try Self.checkURL(peer.issuer, field: field + ".issuer")
            if let issuer, peer.issuer == issuer { throw ConfigurationError(field: field + ".issuer", "is this server's own issuer") }
            guard issuers.insert(peer.issuer).inserted else {
                throw ConfigurationError(field: field + ".issuer", "is listed for two peers")
            }
            try Self.checkKeys(peer.jwks, peer.jwksURI, field: field, required: false)
            if let metadataURL = peer.metadataURL {
                guard peer.jwks == nil, peer.jwksURI == nil else {
                    throw ConfigurationError(field: field + ".metadata_url", "give one of jwks, jwks_uri and metadata_url")
                }
                try Self.checkURL(metadataURL, field: field + ".metadata_url")
            }
            for (position, target) in peer.audiences.enumerated() {
                guard !target.isEmpty, target.utf8.count <= 2048 else {
                    throw ConfigurationError(field: field + ".audiences[\(position)]", "must not be empty")
                }
                guard targets.insert(target).inserted else {
                    throw ConfigurationError(field: field + ".audiences[\(position)]", "'\(target)' already names another peer")
                }
            }
            try Self.checkAlgorithms(peer.algorithms, field: field + ".algorithms")
            try Self.checkTranscription(peer.outbound, field: field + ".outbound")
            try Self.checkTranscription(peer.inbound, field: field + ".inbound")
            if let redeem = peer.redeem {
                guard !redeem.clientID.isEmpty, redeem.clientID.utf8.count <= 255,
                    redeem.clientID.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F })
                else { throw ConfigurationError(field: field + ".redeem.client_id", "must be 1 to 255 printable ASCII characters") }
                if let endpoint = redeem.tokenEndpoint {
                    try Self.checkURL(endpoint, field: field + ".redeem.token_endpoint")
                } else if peer.metadataURL == nil {
                    throw ConfigurationError(field: field + ".redeem.token_endpoint", "is required unless the peer has a metadata_url")
                }
            }
        }
        try validateIDJAG()
        var trustedIssuers = Set<String>()
        for (index, trusted) in trust.subjectTokenIssuers.enumerated() {
            let field = "chaining.subject_token_issuers[\(index)]"
            try Self.checkURL(trusted.issuer, field: field + ".issuer")
            if let issuer, trusted.issuer == issuer {
                throw ConfigurationError(field: field + ".issuer", "is this server's own issuer (our tokens are always accepted)")
            }
            guard trustedIssuers.insert(trusted.issuer).inserted else {
                throw ConfigurationError(field: field + ".issuer", "is listed twice")
            }
            if let metadataURL = trusted.metadataURL {
                guard trusted.jwks == nil, trusted.jwksURI == nil else {
                    throw ConfigurationError(field: field + ".metadata_url", "give one of jwks, jwks_uri and metadata_url")
                }
                try Self.checkURL(metadataURL, field: field + ".metadata_url")
            } else {
                try Self.checkKeys(trusted.jwks, trusted.jwksURI, field: field, required: true)
            }
            try Self.checkAlgorithms(trusted.algorithms, field: field + ".algorithms")
        }
        let known = Set(clients.map(\.id))
        for (name, list) in [("impersonation_clients", trust.impersonationClients), ("delegation_clients", trust.delegationClients)] {
            if !clients.isEmpty, let unknown = list.sorted().first(where: { !known.contains($0) }) {
                throw ConfigurationError(field: "chaining.\(name)", "'\(unknown)' is not a client in this file")
            }
        }
    }

    /// The ID-JAG settings (draft-ietf-oauth-identity-assertion-authz-grant): lifetime ≤ 300 s (§4.3.4),
    /// resources absolute URIs (RFC 8707), listed clients known, and a default policy that parses.
    private func validateIDJAG() throws(ConfigurationError) {
        let trust = chaining
        try require((1...300).contains(trust.idJAGLifetime), "chaining.id_jag_lifetime", "must be 1 to 300 seconds")
        let known = Set(clients.map(\.id))
        for (index, peer) in trust.peers.enumerated() {
            guard let settings = peer.idJAG else { continue }
            let field = "chaining.peers[\(index)].id_jag"
            // A peer with `id_jag` gets ID-JAGs only (eighth review, F6): redeeming plain JWT grants at it would never happen.
            if peer.redeem != nil {
                throw ConfigurationError(
                    field: "chaining.peers[\(index)].redeem",
                    "a peer with id_jag is sent ID-JAGs only, which its client redeems; remove redeem (or id_jag)"
                )
            }
            for (position, resource) in settings.resources.enumerated() {
                guard let url = URLComponents(string: resource), url.scheme?.isEmpty == false, url.fragment == nil,
                    resource.utf8.count <= 2048
                else {
                    throw ConfigurationError(
                        field: field + ".resources[\(position)]",
                        "must be an absolute URI without a fragment (RFC 8707 §2)"
                    )
                }
            }
            if !clients.isEmpty, let unknown = settings.clients.first(where: { !known.contains($0) }) {
                throw ConfigurationError(field: field + ".clients", "'\(unknown)' is not a client in this file")
            }
            if let stepUp = settings.stepUp { try Self.validateStepUp(stepUp, field: field + ".step_up") }
        }
        // Translated into policies of the one vocabulary (docs/policy.md); checked as an owner's would be.
        do {
            _ = try OwnerPolicy(text: ConfiguredPolicies.text(trust: trust, resourceOwners: [:]), source: ConfiguredPolicies.source)
        } catch {
            throw ConfigurationError(field: "chaining.peers[]", "the policies written from these settings do not validate: \(error)")
        }
    }

    /// `id_jag.step_up` (RFC 9470 §3): asks for something, `max_age` a positive number of seconds
    /// (at most a year), `acr_values` distinct printable tokens without spaces (they are sent space-separated).
    private static func validateStepUp(_ stepUp: AuthenticationRequirement, field: String) throws(ConfigurationError) {
        guard stepUp.maxAge != nil || !stepUp.acrValues.isEmpty else {
            throw ConfigurationError(field: field, "needs max_age or acr_values (or remove step_up to turn it off)")
        }
        if let maxAge = stepUp.maxAge, !(1...31_536_000).contains(maxAge) {
            throw ConfigurationError(field: field + ".max_age", "must be 1 to 31536000 seconds")
        }
        for (position, value) in stepUp.acrValues.enumerated() {
            guard !value.isEmpty, value.utf8.count <= 255, value.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
                throw ConfigurationError(
                    field: field + ".acr_values[\(position)]",
                    "must be 1 to 255 printable ASCII characters without spaces (acr_values is space-separated, RFC 9470 §3)"
                )
            }
        }
        if Set(stepUp.acrValues).count != stepUp.acrValues.count {
            throw ConfigurationError(field: field + ".acr_values", "lists a value twice")
        }
    }

    private static func checkURL(_ value: String, field: String) throws(ConfigurationError) {
        guard let url = URLComponents(string: value), url.scheme == "https" || url.scheme == "http", url.host?.isEmpty == false,
            url.fragment == nil
        else { throw ConfigurationError(field: field, "must be an http(s) URL without a fragment") }
    }

    private static func checkKeys(_ jwks: PublicJWKSet?, _ jwksURI: String?, field: String, required: Bool) throws(ConfigurationError) {
        if jwks != nil, jwksURI != nil { throw ConfigurationError(field: field + ".jwks_uri", "give jwks or jwks_uri, not both") }
        if required, jwks == nil, jwksURI == nil { throw ConfigurationError(field: field + ".jwks", "jwks or jwks_uri is required") }
        if let jwksURI { try checkURL(jwksURI, field: field + ".jwks_uri") }
        if let jwks {
            guard !jwks.keys.isEmpty else { throw ConfigurationError(field: field + ".jwks", "must hold at least one key") }
            for (index, key) in jwks.keys.enumerated() {
                guard JWSAlgorithm.asymmetricKeyTypes.contains(key.kty), (try? key.thumbprint()) != nil else {
                    throw ConfigurationError(field: field + ".jwks.keys[\(index)]", "is not a usable public EC, OKP or RSA key")
                }
            }
        }
    }

    private static func checkAlgorithms(_ algorithms: Set<JWSAlgorithm>, field: String) throws(ConfigurationError) {
        guard !algorithms.isEmpty else { throw ConfigurationError(field: field, "must list at least one algorithm") }
        if let refused = algorithms.first(where: { !JWSAlgorithm.asymmetric.contains($0) }) {
            throw ConfigurationError(
                field: field,
                "'\(refused.rawValue)' is not allowed (use \(JWSAlgorithm.asymmetric.map(\.rawValue).sorted().joined(separator: ", ")))"
            )
        }
    }

    private static func checkTranscription(_ transcription: ClaimsTranscription, field: String) throws(ConfigurationError) {
        if transcription.requireSubjectMapping, transcription.subjectMap.isEmpty, transcription.subjectClaim == nil {
            throw ConfigurationError(field: field + ".require_subject_mapping", "needs a subject_map or a subject_claim")
        }
        if let claim = transcription.subjectClaim, claim.isEmpty {
            throw ConfigurationError(field: field + ".subject_claim", "must not be empty")
        }
        for (index, name) in transcription.claims.enumerated() where name != "*" && JWTClaimSet.protocolClaims.contains(name) {
            throw ConfigurationError(field: field + ".claims[\(index)]", "'\(name)' is a protocol claim and cannot be transcribed")
        }
    }
}
