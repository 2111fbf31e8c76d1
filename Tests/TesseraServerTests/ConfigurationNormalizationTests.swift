import Foundation
import TesseraEngine
import TesseraServer
import Testing

/// A configured right, type or resource-owner key not in Unicode Normalization Form C stops the server at start:
/// requests are held to NFC, so such a rule could only ever match through Swift's canonical equivalence, never
/// through Cedar's byte comparison (RFC 8259 §8.3).
@Suite struct ConfigurationNormalizationTests {
    @Test(arguments: [
        ("authorization_details_types:\n  - type: \"\\u212AYC\"", "authorization_details_types[0].type"),
        ("authorization_details_types:\n  - type: \"Cre\\u0301dit\"", "authorization_details_types[0].type"),
        (
            "authorization_details_types:\n  - {type: KYC, allowed_members: [\"\\u212Aonto\"]}",
            "authorization_details_types[0].allowed_members"
        ),
        ("gnap:\n  interaction:\n    resource_owners: {\"\\u212Aontakte\": boss}", "gnap.interaction.resource_owners"),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      jwks_uri: https://b.test/jwks\n      inbound: {subject_map: {\"\\u212Aim\": kim}}",
            "chaining.peers[0].inbound.subject_map"
        ),
    ])
    func aConfiguredNameNotInNFCIsRefusedAtStart(_ yaml: String, _ field: String) {
        #expect {
            try ConfigurationLoader.load(file: yaml, environment: [:]).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field == field
        }
    }

    @Test func theNFCSpellingsLoad() throws {
        let yaml =
            "authorization_details_types:\n  - type: KYC\n  - type: \"Cr\\u00E9dit\"\ngnap:\n  interaction:\n    resource_owners: {Kontakte: boss}"
        try ConfigurationLoader.load(file: yaml, environment: [:]).validate()
    }

    /// An owner's `forbid` written with a decomposed literal would never meet the NFC request it means to stop.
    @Test func anOwnerPolicyNotInNFCIsRefused() throws {
        #expect(throws: OwnerPolicyError.self) {
            try OwnerPolicy(text: "forbid (principal, action, resource == Scope::\"Cre\u{301}dit\");", source: "owner.cedar")
        }
        _ = try OwnerPolicy(text: "forbid (principal, action, resource == Scope::\"Cr\u{E9}dit\");", source: "owner.cedar")
    }

    /// A Cedar text the configuration names (a type's schema, delegation policies or conditions, inline or from a file)
    /// is held to NFC as the owner's file is: a literal in another form names a string no request carries, so a rule
    /// written with it would silently never apply (RFC 8259 §8.3; Cedar compares bytes).
    @Test(arguments: [
        (
            AuthorizationDetailsTypeDefinition.Cedar(
                policies: "permit (principal, action, resource) when { context.kind == \"Cre\u{301}dit\" };"
            ), "policies"
        ),
        (.init(schema: "// Cre\u{301}dit\nentity User;", policies: "permit (principal, action, resource);"), "schema"),
        (.init(policies: "permit (principal, action, resource);", conditions: ["context.kind != \"Cre\u{301}dit\""]), "conditions[0]"),
    ])
    func aTypesCedarTextNotInNFCStopsTheServer(_ cedar: AuthorizationDetailsTypeDefinition.Cedar, _ member: String) {
        let definition = AuthorizationDetailsTypeDefinition(type: "credit", cedar: cedar)
        let error = #expect(throws: ConfigurationError.self) { try definition.resolved(field: "authorization_details_types[0]") }
        #expect(error?.field == "authorization_details_types[0].cedar.\(member)", "\(String(describing: error))")
    }

    @Test func aTypesPolicyFileNotInNFCStopsTheServer() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("delegation-\(UUID().uuidString).cedar").path
        try "permit (principal, action, resource) when { context.kind == \"Cre\u{301}dit\" };".write(
            toFile: path,
            atomically: true,
            encoding: .utf8
        )
        defer { try? FileManager.default.removeItem(atPath: path) }
        let definition = AuthorizationDetailsTypeDefinition(type: "credit", cedar: .init(policyFile: path))
        let error = #expect(throws: ConfigurationError.self) { try definition.resolved(field: "authorization_details_types[0]") }
        #expect(error?.field == "authorization_details_types[0].cedar.policies", "\(String(describing: error))")
        // The control: the same rule in NFC resolves.
        try "permit (principal, action, resource) when { context.kind == \"Cr\u{E9}dit\" };".write(
            toFile: path,
            atomically: true,
            encoding: .utf8
        )
        _ = try definition.resolved(field: "authorization_details_types[0]")
    }

    /// `pin_principal` is a Cedar entity type name, ASCII by Cedar's grammar: a look-alike is already refused at start.
    @Test func aLookAlikePinnedPrincipalStopsTheServer() {
        let definition = AuthorizationDetailsTypeDefinition(
            type: "credit",
            cedar: .init(policies: "permit (principal, action, resource);", pinPrincipal: "Bank::\u{212A}unde")
        )
        let error = #expect(throws: ConfigurationError.self) { try definition.resolved(field: "authorization_details_types[0]") }
        #expect(error?.field == "authorization_details_types[0].cedar.pin_principal")
    }

    /// The policy files translated into the one vocabulary (`chaining.policy_file`, `chaining.id_jag_policy_file`,
    /// `client_challenges.policy_file`) are held to NFC too.
    @Test(arguments: ["chaining.policy_file", "chaining.id_jag_policy_file", "client_challenges.policy_file"])
    func aTranslatedPolicyFileNotInNFCStopsTheServer(_ field: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("translated-\(UUID().uuidString).cedar").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let parts = field.split(separator: ".")
        let yaml = "\(parts[0]):\n  \(parts[1]): \(path)"
        func load(_ credit: String) throws {
            let rule =
                field.hasPrefix("chaining")
                ? "forbid (principal, action == Action::\"request_scope\", resource == Scope::\"\(credit)\");"
                : "forbid (principal, action, resource) when { context.scopes.contains(\"\(credit)\") };"
            try rule.write(toFile: path, atomically: true, encoding: .utf8)
            try ConfigurationLoader.load(file: yaml, environment: [:]).validate()
        }
        #expect {
            try load("Cre\u{301}dit")
        } throws: { error in
            (error as? ConfigurationError)?.field == (field.hasPrefix("chaining") ? field : "client_challenges.policy")
        }
        // The control: the same rule in NFC loads.
        try load("Cr\u{E9}dit")
    }

    /// The configured values a peer's claims or a metadata document are compared with, now that those must be NFC:
    /// a configured look-alike would otherwise still match them through Swift's `==`, and never through Cedar's.
    @Test(arguments: [
        ("client_id_metadata_documents:\n  allowed_scopes: [\"\\u212AYC\"]", "client_id_metadata_documents.allowed_scopes"),
        (
            "chaining:\n  subject_token_issuers:\n    - {issuer: https://idp.test, jwks_uri: https://idp.test/jwks, audiences: [\"\\u212Aiosk\"]}",
            "chaining.subject_token_issuers[0].audiences"
        ),
        (
            "chaining:\n  peers:\n    - {name: b, issuer: \"https://b.test/\\u212A\", audiences: [https://b.test], jwks_uri: https://b.test/jwks}",
            "chaining.peers[0].issuer"
        ),
        (
            "chaining:\n  subject_token_issuers:\n    - {issuer: \"https://idp.test/\\u212A\", jwks_uri: https://idp.test/jwks}",
            "chaining.subject_token_issuers[0].issuer"
        ),
    ])
    func aValueComparedWithPeerClaimsNotInNFCIsRefusedAtStart(_ yaml: String, _ field: String) {
        #expect {
            try ConfigurationLoader.load(file: yaml, environment: [:]).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field == field
        }
    }

    /// Cedar reads `\u{…}` escapes in a string literal, so ASCII policy text can still hold a decomposed literal: the
    /// parsed policies are held to NFC, not only the text (owner policy, a type's delegation policies, a translated file).
    @Test func anEscapedLiteralNotInNFCIsRefused() throws {
        func owner(_ credit: String) throws {
            _ = try OwnerPolicy(text: "forbid (principal, action, resource == Scope::\"\(credit)\");", source: "o")
        }
        func peers(_ credit: String) -> String {
            "forbid (principal, action == Action::\"request_scope\", resource == Scope::\"\(credit)\");"
        }
        #expect(throws: OwnerPolicyError.self) { try owner(#"Cre\u{301}dit"#) }
        let type = AuthorizationDetailsTypeDefinition(type: "credit", cedar: .init(policies: peers(#"Cre\u{301}dit"#)))
        let refused = #expect(throws: ConfigurationError.self) { try type.resolved(field: "authorization_details_types[0]") }
        #expect(refused?.field == "authorization_details_types[0].cedar.policies")
        #expect(throws: PolicyTranslationError.self) {
            try TranslatedPolicies(text: peers(#"Cre\u{301}dit"#), source: "peers.cedar", role: .peerGrants)
        }
        // The control: an escape that spells an NFC literal is read as that literal.
        try owner(#"Cr\u{e9}dit"#)
        _ = try AuthorizationDetailsTypeDefinition(type: "credit", cedar: .init(policies: peers(#"Cr\u{e9}dit"#))).resolved(field: "t")
        _ = try TranslatedPolicies(text: peers(#"Cr\u{e9}dit"#), source: "peers.cedar", role: .peerGrants)
    }
}
