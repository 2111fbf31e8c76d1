import Foundation
import HTTPMessageSignatures
import TesseraProtocol
import TesseraTesting
import Testing

@testable import TesseraResource

/// The resource-server SDK reads rights that any AS issued, so it cannot rely on the AS refusing text outside
/// Unicode Normalization Form C: it compares rights code point by code point (RFC 9635 §8, RFC 9396 §2,
/// RFC 8259 §8.3). Before the fix it compared them with Swift's `==`, which calls `\u{212A}ontakte` (KELVIN SIGN)
/// and `Kontakte` equal.
@Suite struct CanonicalEquivalenceResourceTests {
    let rsKey = GNAPKeyPair.generate(.ed25519, keyID: "rs-1")

    /// An AS that reports a bearer token granting `\u{212A}ontakte` (a reference, and an object with the action
    /// `cre\u{301}er`, decomposed).
    static let introspection = #"""
        {"active": true, "flags": ["bearer"], "iss": "https://as.example/gnap",
         "access": ["\u212Aontakte", {"type": "\u212Aontakte", "actions": ["cre\u0301er"]}]}
        """#

    @Test func aGNAPRightAllowsOnlyItsExactSpelling() async throws {
        var configuration = GNAPResourceServer.Configuration(asBaseURL: "https://as.example", resourceServer: .key(rsKey.gnapKey))
        configuration.referrer = "https://rs.example"
        let clock = TestClock()
        let rs = GNAPResourceServer(
            configuration: configuration,
            key: rsKey,
            transport: StubTransport { _, _ in Stub.json(Self.introspection) },
            now: { clock.now() }
        )
        var request = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/contacts")
        request.appendHeader(name: "Authorization", value: "Bearer BEARER")
        guard case .authorized(let granted) = await rs.verify(request) else {
            Issue.record("expected the bearer token to be active")
            return
        }
        #expect(!granted.allows("Kontakte"), "an equivalent spelling is another right")
        #expect(!granted.allows("Kontakte", action: "créer"))
        #expect(!granted.allows("\u{212A}ontakte", action: "créer"), "the action is decomposed in the token")
        #expect(granted.allows("\u{212A}ontakte"))
        #expect(granted.allows("\u{212A}ontakte", action: "cre\u{301}er"))
    }

    @Test func aCedarEntryOfAnEquivalentTypeIsNotAccepted() throws {
        let enforcer = try GrantedPolicyEnforcer(acceptedTypes: ["KYC"])
        let entities = try BankFixtures.entities()
        let permitAll = "permit (principal, action, resource);"
        let equivalent = GrantedPolicyEnforcer.Grant(
            cacheKey: "kelvin",
            authorizationDetails: GrantedPolicyEnforcerTests.details(permitAll, type: "\u{212A}YC")
        )
        let decision = enforcer.authorize(try BankFixtures.payment(), entities: entities, grant: equivalent)
        #expect(!decision.isAllowed)
        #expect(decision.reason == "the token grants no Cedar policies for this resource server", "\(decision.reason ?? "")")
        // The control: the exact spelling is accepted.
        let exact = GrantedPolicyEnforcer.Grant(
            cacheKey: "exact",
            authorizationDetails: GrantedPolicyEnforcerTests.details(permitAll, type: "KYC")
        )
        #expect(enforcer.authorize(try BankFixtures.payment(), entities: entities, grant: exact).isAllowed)
    }
}
