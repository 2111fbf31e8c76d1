import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraTesting
import Testing

/// Issue 22: a requested Cedar policy set that passed a profile's checks is not parsed and validated again, but only a
/// set that passed is remembered, and what depends on the party (delegation decisions, pinning) is decided every time.
@Suite struct ValidatedPolicySetsTests {
    let details = CedarDetailsTests()

    @Test func aSetThatFailedIsRefusedEveryTime() throws {
        let processor = details.processor(try details.profile())
        let text = #"permit (principal == BankA::User::"u", action == BankA::Action::"initiate", resource == Bank::"x");"#
        for _ in 0..<3 {
            #expect(details.refusal(processor, details.entry(text))?.contains("does not validate against the schema") == true)
        }
    }

    @Test func theSameTextIsStillNarrowedForEachParty() throws {
        let processor = details.processor(try details.profile())
        let figure2 = try AuthorizationDetailsProcessor.parse(SeedFigures.json(SeedFigures.figure2))
        for _ in 0..<2 {
            let granted = try details.granted(try processor.grant(figure2, to: details.party))
            #expect(!granted.contains("cancel"))
            // The same text, now from a client the delegation policies give nothing: refused, not served from memory.
            let intruder = AuthorizationDetailsProcessor.Party(clientID: "intruder", subject: "intruder")
            #expect(throws: OAuthError.invalidAuthorizationDetails("")) { try processor.grant(figure2, to: intruder) }
        }
    }

    @Test func aSetValidForOneProfileIsCheckedAgainstAnother() throws {
        // Valid without a schema, invalid against the bank schema: the first profile's verdict must not carry over.
        let text = #"permit (principal, action == BankA::Action::"initiate", resource == Bank::"x");"#
        let lenient = details.processor(try details.profile(schema: nil))
        let strict = details.processor(try details.profile())
        // Whatever the delegation policies then decide, the lenient profile has checked and kept this text.
        _ = try? lenient.grant(details.entry(text), to: details.party)
        #expect(details.refusal(strict, details.entry(text))?.contains("does not validate against the schema") == true)
    }
}
