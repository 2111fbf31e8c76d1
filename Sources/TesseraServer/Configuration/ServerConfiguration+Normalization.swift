import TesseraEngine
import TesseraProtocol

extension ServerConfiguration {
    /// Refuses, at start, a configured right, type, audience, resource-owner key, subject-map entry, peer issuer or
    /// metadata-document scope that is not in Unicode Normalization Form C.
    ///
    /// Requests are held to NFC (``UnicodeNFC``), so a configured `\u{212A}YC` (KELVIN SIGN) could never be asked
    /// for by its exact spelling, while Swift's `==` would still match it against `KYC` and Cedar would not: the
    /// operator's rule would silently mean something else. Refused with the field named, never normalized.
    /// - Throws: ``ConfigurationError`` naming the first such field.
    func validateNormalization() throws(ConfigurationError) {
        for (index, definition) in authorizationDetailsTypes.enumerated() {
            let field = "authorization_details_types[\(index)]"
            try Self.requireNFC([definition.type], field + ".type")
            try Self.requireNFC(definition.requiredMembers ?? [], field + ".required_members")
            try Self.requireNFC(definition.allowedMembers ?? [], field + ".allowed_members")
        }
        for (index, instance) in gnap.instances.enumerated() {
            try Self.requireNFC(instance.allowedAccess.sorted(), "gnap.instances[\(index)].allowed_access")
        }
        for (index, server) in gnap.resourceServers.enumerated() {
            try Self.requireNFC(server.audiences.sorted(), "gnap.resource_servers[\(index)].audiences")
        }
        try Self.requireNFC(gnap.interaction.resourceOwners.keys.sorted(), "gnap.interaction.resource_owners")
        for (index, client) in clients.enumerated() {
            try Self.requireNFC(client.introspectionAudiences, "clients[\(index)].introspection_audiences")
        }
        // Compared with a peer's claims and a metadata document, which must be NFC (JWTClaimSet, ClientMetadataResolver).
        try Self.requireNFC(clientMetadata.allowedScopes, "client_id_metadata_documents.allowed_scopes")
        for (index, trusted) in chaining.subjectTokenIssuers.enumerated() {
            try Self.requireNFC([trusted.issuer], "chaining.subject_token_issuers[\(index)].issuer")
            try Self.requireNFC(trusted.audiences, "chaining.subject_token_issuers[\(index)].audiences")
        }
        for (index, peer) in chaining.peers.enumerated() {
            let field = "chaining.peers[\(index)]"
            try Self.requireNFC([peer.issuer], field + ".issuer")
            try Self.requireNFC(peer.audiences, field + ".audiences")
            try Self.requireNFC(peer.idJAG?.resources ?? [], field + ".id_jag.resources")
            for (side, transcription) in [("inbound", peer.inbound), ("outbound", peer.outbound)] {
                let map = transcription.subjectMap
                try Self.requireNFC(map.keys.sorted() + map.values.sorted(), "\(field).\(side).subject_map")
            }
        }
    }

    private static func requireNFC(_ values: [String], _ field: String) throws(ConfigurationError) {
        for value in values where !UnicodeNFC.isNormalized(value) {
            let shown = value.unicodeScalars.map { $0.isASCII ? String($0) : "\\u{\(String($0.value, radix: 16, uppercase: true))}" }
            throw ConfigurationError(field: field, "'\(shown.joined())' \(UnicodeNFC.rule); write it in NFC")
        }
    }
}
