import Foundation
import TesseraStorage
import Testing

/// The `tessera export` file is a format other builds read: how the snapshot's records are held in memory must not
/// change a byte of it. The file below is what this build wrote, with the CLI's key order and without empty members.
@Suite struct SnapshotFormatTests {
    static let file = #"""
        {"access_tokens":[{"audience":["https://rs.example","https://rs2.example"],"client_id":"c1","expires_at":2000,"grant_id":"g1",\#
        "issued_at":1000,"jti":"a1","scope":"read","subject":"alice"},{"audience":[],"client_id":"c1","expires_at":2000,"grant_id":"g2",\#
        "issued_at":1000,"jti":"a2","parent_id":"a1","parent_kind":"exchange","revoked_at":1500,"scope":"read write","subject":"alice"}],\#
        "clients":[],"format":1,\#
        "gnap_grants":[{"client_key":"{\"jwk\":{}}","continue_after":1000,"created_at":1000,"expires_at":1600,"id":"gr1",\#
        "key_thumbprint":"tp","request":"{}","state":"pending","updated_at":1000},{"authenticated_at":900,"client_key":"{}",\#
        "continuation_hash":"ch","continue_after":1000,"created_at":1000,"expires_at":1600,"id":"gr2","instance_id":"inst",\#
        "key_thumbprint":"tp2","request":"{}","state":"approved","subject":"bob","updated_at":1100}],\#
        "gnap_tokens":[{"access":"[]","created_at":1000,"flags":["bearer","durable"],"grant_id":"gr2","jti":"gat","label":"l",\#
        "manage_id":"m1","management_hash":"mh","revoked_at":1200},{"access":"[\"read\"]","created_at":1000,"flags":[],\#
        "grant_id":"gr2","jti":"gat2","manage_id":"m2","management_hash":"mh2"}],\#
        "refresh_tokens":[{"audience":["https://rs.example"],"client_id":"c1","expires_at":9000,"grant_id":"g1","issued_at":1000,\#
        "scope":"read","subject":"alice","token_hash":"r1"},{"audience":[],"authorization_details":"[{\"type\":\"t\"}]",\#
        "client_id":"c1","expires_at":9000,"grant_id":"g1","issued_at":1000,"jkt":"thumb","revoked_at":3000,"scope":"read",\#
        "subject":"alice","token_hash":"r2","used_at":2000}],\#
        "rows":{"registration_tokens":[{"created_at":1,"expires_at":2,"id":"rt","label":"x","remaining_uses":3,"token_hash":"h"}]},\#
        "signing_keys":[{"algorithm":"ES256","created_at":1000,"kid":"k1","private_jwk":"{}","public_jwk":"{}"},\#
        {"algorithm":"EdDSA","created_at":500,"kid":"k0","private_jwk":"{\"d\":\"x\"}","public_jwk":"{\"x\":\"y\"}","retired_at":1000}],\#
        "users":[{"created_at":1000,"password_hash":"ph","username":"alice"},{"created_at":1000,"display_name":"Bob",\#
        "password_hash":"ph2","username":"bob"}]}
        """#

    @Test func aFileReadAndWrittenAgainIsTheSameFile() throws {
        let snapshot = try JSONDecoder().decode(StoreSnapshot.self, from: Data(Self.file.utf8))
        #expect(snapshot.accessTokens.count == 2 && snapshot.gnapTokens.count == 2 && snapshot.users.count == 2)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: try encoder.encode(snapshot), as: UTF8.self) == Self.file)
        // Read again, the same records.
        #expect(try JSONDecoder().decode(StoreSnapshot.self, from: try encoder.encode(snapshot)) == snapshot)
    }

    /// A record whose member has the wrong type, or lacks a required one, fails the whole file.
    @Test(arguments: [
        #"{"format":1,"clients":[],"signing_keys":[{"algorithm":"ES256","created_at":"soon","kid":"k","private_jwk":"{}","public_jwk":"{}"}],"access_tokens":[],"refresh_tokens":[]}"#,
        #"{"format":1,"clients":[],"signing_keys":[],"access_tokens":[{"jti":"a"}],"refresh_tokens":[]}"#,
    ])
    func aRecordThatDoesNotFitIsRefused(_ file: String) {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(StoreSnapshot.self, from: Data(file.utf8)) }
    }
}
