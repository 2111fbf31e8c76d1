import Foundation
import TesseraStorage
import Testing

/// The by-key reads every introspection and exchange makes (issue 22: on SQLite files they run on read-only
/// connections of their own and read columns by index): every field read back exactly, NULLs as `nil`, a write
/// visible to the very next read, on both backends.
@Suite struct PointReadConformanceTests {
    typealias F = StoreFixtures

    static func access(_ jti: String, revokedAt: Date? = nil, parent: TokenParent? = nil) -> AccessTokenRecord {
        AccessTokenRecord(
            jti: jti,
            grantID: "grant-é-1",
            clientID: "client 1",
            subject: "søren@example",
            scope: "read write",
            audience: ["https://rs.example/a", "https://rs.example/b"],
            issuedAt: F.now,
            expiresAt: F.now.addingTimeInterval(3600),
            revokedAt: revokedAt,
            parent: parent
        )
    }

    @Test(arguments: StoreBackend.allCases)
    func accessTokenRowsReadBackExactly(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let records = [
                Self.access("plain"),
                Self.access("revoked", revokedAt: F.now.addingTimeInterval(5)),
                Self.access("child", parent: TokenParent(.jwtGrant, "grant-jti")),
                Self.access("consented", parent: TokenParent(.refresh)),
            ]
            for record in records { try await stores.tokens.record(TokenIssuance(accessToken: record, refreshToken: nil)) }
            for record in records { #expect(try await stores.tokens.accessToken(jti: record.jti) == record) }
            #expect(try await stores.tokens.accessToken(jti: "absent") == nil)
            // A revocation committed now is what the next read sees.
            _ = try await stores.tokens.revokeAccessToken(jti: "plain", at: F.now.addingTimeInterval(9))
            #expect(try await stores.tokens.accessToken(jti: "plain")?.revokedAt == F.now.addingTimeInterval(9))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func managementRowsReadBackByAccessTokenJTI(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let grant = GNAPStoreConformanceTests.grant("g-read")
            let labelled = GNAPTokenRecord(
                manageID: "m1",
                managementHash: "h1",
                grantID: "g-read",
                jti: "at-1",
                label: "token1",
                access: #"["read",{"type":"photo-api"}]"#,
                flags: ["bearer", "durable"],
                createdAt: F.now
            )
            var unlabelled = labelled
            (unlabelled.manageID, unlabelled.managementHash, unlabelled.jti, unlabelled.label, unlabelled.flags) = (
                "m2", "h2", "at-2", nil, []
            )
            try await stores.gnap.createGrant(
                grant,
                issued: [
                    GNAPIssuedToken(token: labelled, accessToken: Self.access("at-1")),
                    GNAPIssuedToken(token: unlabelled, accessToken: Self.access("at-2")),
                ]
            )
            #expect(try await stores.gnap.token(jti: "at-1") == labelled)
            #expect(try await stores.gnap.token(jti: "at-2") == unlabelled)
            #expect(try await stores.gnap.token(jti: "plain-oauth-token") == nil)
            #expect(try await stores.gnap.revokeToken(manageID: "m1", at: F.now.addingTimeInterval(3)))
            #expect(try await stores.gnap.token(jti: "at-1")?.revokedAt == F.now.addingTimeInterval(3))
        }
    }
}
