import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraTesting
import Testing

/// RFC 9396 at the engine: parsing, per-type validation, refresh narrowing (non-Cedar types).
@Suite struct AuthorizationDetailsProcessorTests {
    let party = AuthorizationDetailsProcessor.Party(clientID: "service-a", subject: "service-a")

    func processor() -> AuthorizationDetailsProcessor {
        AuthorizationDetailsProcessor(
            types: [
                AuthorizationDetailsType(
                    type: "customer_information",
                    requiredMembers: ["actions"],
                    allowedMembers: ["locations", "datatypes"]
                ),
                AuthorizationDetailsType(type: "open", requiredMembers: []),
                AuthorizationDetailsType(type: "restricted", clients: ["someone-else"]),
            ],
            now: { Fixtures.epoch }
        )
    }

    func refusal(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as OAuthError {
            #expect(error.code == .invalidAuthorizationDetails)
            return error.message
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    func parsed(_ text: String) throws -> [JSONValue] { try AuthorizationDetailsProcessor.parse(text) }

    @Test func parseRefusesMalformedParameters() {
        let cases: [(String, String)] = [
            ("{not json", "authorization_details is not valid JSON"),
            (#"{"type": "open"}"#, "authorization_details must be a JSON array of objects"),
            ("[]", "authorization_details must not be empty"),
            (#"["open"]"#, "authorization_details[0] must be a JSON object"),
            (#"[{"type": "open"}, {"actions": ["read"]}]"#, "authorization_details[1] has no 'type'"),
            (#"[{"type": 7}]"#, "authorization_details[0].type must be a non-empty string"),
            (#"[{"type": ""}]"#, "authorization_details[0].type must be a non-empty string"),
        ]
        for (text, message) in cases {
            #expect(refusal { _ = try AuthorizationDetailsProcessor.parse(text) } == message, "\(text)")
        }
        let many = "[" + Array(repeating: #"{"type": "open"}"#, count: 33).joined(separator: ",") + "]"
        #expect(refusal { _ = try AuthorizationDetailsProcessor.parse(many) } == "authorization_details has more than 32 entries")
    }

    @Test func typeChecksNameTheEntryAndTheProblem() throws {
        let p = processor()
        let cases: [(String, String)] = [
            (#"[{"type": "open"}, {"type": "nope"}]"#, "authorization_details[1]: unknown type 'nope'"),
            (
                #"[{"type": "customer_information"}]"#,
                "authorization_details[0]: missing required member 'actions' for type 'customer_information'"
            ),
            (
                #"[{"type": "customer_information", "actions": ["read"], "extra": 1}]"#,
                "authorization_details[0]: unknown member 'extra' for type 'customer_information'"
            ),
            (#"[{"type": "customer_information", "actions": "read"}]"#, "authorization_details[0].actions must be an array of strings"),
            (#"[{"type": "open", "locations": [1]}]"#, "authorization_details[0].locations must be an array of strings"),
            (#"[{"type": "open", "identifier": ["x"]}]"#, "authorization_details[0].identifier must be a string"),
            (#"[{"type": "restricted"}]"#, "authorization_details[0]: this client may not request type 'restricted'"),
            (
                #"[{"type": "open", "rarFormat": "xacml", "policySet": "x"}]"#,
                #"authorization_details[0].rarFormat must be "cedar" (the only format this server knows)"#
            ),
            (#"[{"type": "open", "rarFormat": "cedar"}]"#, "authorization_details[0]: rarFormat cedar requires a 'policySet'"),
            (
                #"[{"type": "open", "rarFormat": "cedar", "policySet": 5}]"#,
                "authorization_details[0].policySet must be a string of Cedar policies"
            ),
            (
                #"[{"type": "open", "policySet": "permit(principal, action, resource);"}]"#,
                #"authorization_details[0]: 'policySet' requires "rarFormat": "cedar""#
            ),
            (
                #"[{"type": "open", "rarFormat": "cedar", "policySet": "permit(principal, action, resource);"}]"#,
                "authorization_details[0]: type 'open' does not accept rarFormat (no Cedar profile is configured for it)"
            ),
        ]
        for (text, message) in cases {
            let details = try parsed(text)
            #expect(refusal { _ = try p.grant(details, to: party) } == message, "\(text)")
        }
    }

    @Test func plainEntriesAreGrantedAsAsked() throws {
        let details = try parsed(
            #"[{"type": "customer_information", "actions": ["read", "write"], "locations": ["https://api.example/"]}]"#
        )
        #expect(try processor().grant(details, to: party) == details)
        #expect(processor().supportedTypes == ["customer_information", "open", "restricted"])
    }

    @Test func refreshMayOnlyNarrowPlainEntries() throws {
        let granted = try parsed(
            #"[{"type": "customer_information", "actions": ["read", "write"], "locations": ["https://a/", "https://b/"]}]"#
        )
        let subset = try parsed(#"[{"type": "customer_information", "actions": ["read"], "locations": ["https://b/"]}]"#)
        #expect(try processor().narrow(subset, within: granted) == subset)
        let more = try parsed(#"[{"type": "customer_information", "actions": ["read", "delete"]}]"#)
        #expect(
            refusal { _ = try processor().narrow(more, within: granted) }
                == "authorization_details[0]: asks for more than the grant holds (a derived token may only narrow its parent)"
        )
        let otherType = try parsed(#"[{"type": "open"}]"#)
        #expect(refusal { _ = try processor().narrow(otherType, within: granted) } != nil)
        let extraMember = try parsed(#"[{"type": "customer_information", "actions": ["read"], "datatypes": ["x"]}]"#)
        #expect(refusal { _ = try processor().narrow(extraMember, within: granted) } != nil)
    }
}
