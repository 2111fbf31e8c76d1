import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraTesting
import Testing

/// A GNAP grant stored before requests were held to Unicode Normalization Form C may hold a right that is not NFC
/// (`\u{212A}YC`, KELVIN SIGN). Its request no longer decodes: continuing it is a protocol error (RFC 9635 §3.6
/// `invalid_request`), never a server error, and no token is issued for the look-alike right.
extension TwoDoorsTests {
    @Test func continuingAStoredGrantNotInNFCIsAProtocolError() async throws {
        let app = try await app()
        let (_, answer) = try await continueApprovedGrant(app, access: ["\u{212A}YC"], by: "alice")
        #expect(answer.status == .badRequest, "\(answer.json)")
        #expect(GNAPEndpointTests.errorCode(answer.json) == GNAPError.Code.invalidRequest.rawValue, "\(answer.json)")
        #expect(answer.json["access_token"] == nil)
    }
}
