import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// RFC 7591 client metadata is text the server keeps, shows and compares (a redirect URI is already refused unless
/// ASCII, `invalid_redirect_uri`): a registration carrying text not in Unicode Normalization Form C is refused
/// `invalid_client_metadata` (RFC 7591 §3.2.2), so Swift's canonical equivalence never stands in for equality.
extension ClientRegistrationTests {
    @Test func metadataNotInNFCIsRefused() async throws {
        try await withApp { client, _ in
            let changes: [[String: Any?]] = [
                ["client_name": "Cafe\u{301}"],
                ["contacts": ["\u{212A}im@example.com"]],
            ]
            for change in changes {
                let answer = try await Self.send(client, json: Self.with(change))
                #expect(answer.status == .badRequest, "\(change): \(answer.json)")
                #expect(answer.error == "invalid_client_metadata", "\(change): \(answer.json)")
            }
            // The control: the precomposed name registers.
            let precomposed = try await Self.send(client, json: Self.with(["client_name": "Caf\u{E9}"]))
            #expect(precomposed.status == .created, "\(precomposed.json)")
        }
    }
}
