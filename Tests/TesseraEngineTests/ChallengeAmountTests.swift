import Foundation
import TesseraProtocol
import Testing

@testable import TesseraEngine

/// `largest_amount` of the client-challenge context fails closed on every shape it cannot read as one number (review
/// round 11, J3): an `amount` object, array or `null`, and a Cedar-profile entry, whose amounts are policy conditions.
@Suite struct ChallengeAmountTests {
    static func amount(_ json: String) throws -> Int64 {
        guard case .object(let entry)? = JSONValue.parse(Data(json.utf8)) else { throw OAuthError.invalidRequest("not an object: \(json)") }
        return ChallengeContext.largestAmount(entry)
    }

    @Test func shapesThatAreNoNumberCountAsUnbounded() throws {
        for amount in [#"{"value":"5000"}"#, "{}", "[]", "[5000]", "null", "true"] {
            let entry = #"{"type":"payments","instructedAmount":{"amount":\#(amount),"currency":"EUR"}}"#
            #expect(try Self.amount(entry) == ChallengeContext.unreadableAmount, "\(amount)")
        }
    }

    @Test func aCedarProfileEntryCountsAsUnbounded() throws {
        let unbounded = #"{"type":"payments","rarFormat":"cedar","policySet":"permit(principal, action, resource);"}"#
        #expect(try Self.amount(unbounded) == ChallengeContext.unreadableAmount)
    }

    @Test func numbersAreReadByTheirMagnitude() throws {
        #expect(try Self.amount(#"{"type":"p","instructedAmount":{"amount":"999.99"}}"#) == 999)
        #expect(try Self.amount(#"{"type":"p","instructedAmount":{"amount":-5000}}"#) == 5000)
        #expect(try Self.amount(#"{"type":"p","items":[{"amount":"12"},{"amount":"7000"}]}"#) == 7000)
        #expect(try Self.amount(#"{"type":"p","note":"no amount"}"#) == 0)
    }
}
