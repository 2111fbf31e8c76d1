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
}
