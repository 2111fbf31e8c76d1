import Foundation
import TesseraStorage
import Testing

/// Issue 19: the ledger records every token's parent, and revocation cascades along derivation
/// edges in one store operation — on both backends, through every revoking path (a grant, one
/// token, refresh reuse, a GNAP grant finalized, a GNAP token revoked or rotated).
@Suite struct TokenLineageConformanceTests {
    typealias F = StoreFixtures
    static let now = F.now

    /// An access token of `grant`, derived as `parent` says.
    static func token(_ jti: String, grant: String, parent: TokenParent? = nil, refreshHash: String? = nil) -> TokenIssuance {
        var issuance = F.issuance(jti: jti, grant: grant, refreshHash: refreshHash)
        issuance.accessToken.parent = parent
        return issuance
    }

    static func exchanged(_ jti: String, from parent: String) -> TokenIssuance {
        token(jti, grant: "g-" + jti, parent: TokenParent(.exchange, parent))
    }

    static func active(_ stores: Stores, _ jtis: [String]) async throws -> [String] {
        var alive: [String] = []
        for jti in jtis where try await stores.tokens.accessToken(jti: jti)?.isActive(at: now) == true { alive.append(jti) }
        return alive
    }

    @Test(arguments: StoreBackend.allCases)
    func theParentIsRecordedAndReadBack(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.tokens.record(Self.token("root", grant: "family", parent: TokenParent(.consent, "consent-1")))
            try await stores.tokens.record(Self.exchanged("child", from: "root"))
            try await stores.tokens.record(Self.token("redeemed", grant: "g-r", parent: TokenParent(.jwtGrant, "child")))
            #expect(try await stores.tokens.accessToken(jti: "root")?.parent == TokenParent(.consent, "consent-1"))
            #expect(try await stores.tokens.accessToken(jti: "child")?.parent == TokenParent(.exchange, "root"))
            #expect(try await stores.tokens.descendants(of: "root").map(\.jti).sorted() == ["child", "redeemed"])
            #expect(try await stores.tokens.ancestry(of: "redeemed").map(\.jti) == ["root", "child"])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func revokingATokenRevokesItsDescendantsOnly(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.tokens.record(Self.token("a1", grant: "family", refreshHash: "r1"))
            try await stores.tokens.record(Self.token("a2", grant: "family", parent: TokenParent(.refresh)))
            try await stores.tokens.record(Self.exchanged("c1", from: "a1"))
            try await stores.tokens.record(Self.exchanged("c2", from: "c1"))
            try await stores.tokens.record(Self.token("j1", grant: "g-j1", parent: TokenParent(.exchange, "c2")))
            try await stores.tokens.record(Self.token("t1", grant: "g-t1", parent: TokenParent(.jwtGrant, "j1")))
            try await stores.tokens.record(Self.exchanged("s1", from: "a2"))

            #expect(try await stores.tokens.revokeAccessToken(jti: "a1", at: Self.now))
            #expect(try await Self.active(stores, ["a1", "a2", "c1", "c2", "j1", "t1", "s1"]) == ["a2", "s1"])
            #expect(try await stores.tokens.refreshToken(hash: "r1")?.isActive(at: Self.now) == true, "the family's refresh token stays")
            #expect(try await !stores.tokens.revokeAccessToken(jti: "a1", at: Self.now), "already revoked")

            // A token derived from a revoked parent is recorded revoked: nothing escapes a cascade that ran first.
            try await stores.tokens.record(Self.exchanged("late", from: "c2"))
            #expect(try await Self.active(stores, ["late"]).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func revokingAGrantOrReusingItsRefreshTokenRevokesEverythingDerived(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            for (family, reuse) in [("f1", false), ("f2", true)] {
                try await stores.tokens.record(Self.token(family + "a1", grant: family, refreshHash: family + "r1"))
                try await stores.tokens.record(Self.exchanged(family + "c1", from: family + "a1"))
                try await stores.tokens.record(Self.exchanged(family + "c2", from: family + "c1"))
                let replacement = Self.token(family + "a2", grant: family, parent: TokenParent(.refresh), refreshHash: family + "r2")
                #expect(try await stores.tokens.rotateRefreshToken(hash: family + "r1", at: Self.now, replacement: replacement) == .rotated)
                try await stores.tokens.record(Self.exchanged(family + "c3", from: family + "a2"))
                if reuse {
                    #expect(
                        try await stores.tokens.rotateRefreshToken(hash: family + "r1", at: Self.now, replacement: replacement)
                            == .reuseDetected(grantID: family)
                    )
                } else {
                    #expect(try await stores.tokens.revokeGrant(id: family, at: Self.now) == 7, "five access tokens, two refresh tokens")
                }
                #expect(try await Self.active(stores, ["a1", "a2", "c1", "c2", "c3"].map { family + $0 }).isEmpty)
                #expect(try await stores.tokens.refreshToken(hash: family + "r2")?.revokedAt != nil)
            }
        }
    }

    /// RFC 9635 §5.3: a write that replaces a grant's approval revokes, in the same transaction, the earlier
    /// tokens it names (and what was derived from them); an out-of-band decision revokes every token of another
    /// subject (all of them on a denial). Tokens of other grants are never reached.
    @Test(arguments: StoreBackend.allCases)
    func aReplacedApprovalRevokesTheTokensItNoLongerCovers(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let issued = { (jti: String, manage: String, grant: String, subject: String) in
                var access = Self.token(jti, grant: grant, parent: TokenParent(.gnap)).accessToken
                access.subject = subject
                let token = GNAPTokenRecord(
                    manageID: manage,
                    managementHash: "h-" + manage,
                    grantID: grant,
                    jti: jti,
                    label: nil,
                    access: "[]",
                    flags: [],
                    createdAt: Self.now
                )
                return GNAPIssuedToken(token: token, accessToken: access)
            }
            try await stores.gnap.createGrant(
                GNAPStoreConformanceTests.grant("sg1", state: .approved),
                issued: [issued("st1", "sm1", "sg1", "alice"), issued("st2", "sm2", "sg1", "alice")]
            )
            try await stores.gnap.createGrant(
                GNAPStoreConformanceTests.grant("sg2", state: .approved),
                issued: [issued("st3", "sm3", "sg2", "alice")]
            )
            try await stores.tokens.record(Self.exchanged("sx1", from: "st1"))
            #expect(try await stores.gnap.liveTokens(grantID: "sg1").map(\.manageID) == ["sm1", "sm2"])

            // A modification (updateGrant) names what it ends; another grant's token named by mistake is untouched.
            var narrowed = GNAPStoreConformanceTests.grant("sg1", state: .approved, continuation: "c2")
            narrowed.subject = "alice"
            let updated = try await stores.gnap.updateGrant(
                narrowed,
                expectedContinuationHash: "c1",
                expectedState: .approved,
                issued: [],
                consumingInteractRef: nil,
                revoking: ["sm1", "sm3"]
            )
            #expect(updated)
            #expect(try await Self.active(stores, ["st1", "sx1", "st2", "st3"]) == ["st2", "st3"])
            #expect(try await stores.gnap.liveTokens(grantID: "sg1").map(\.manageID) == ["sm2"])

            // Waiting for a person again, then approved out of band by bob: alice's token ends with the decision.
            var waiting = narrowed
            (waiting.state, waiting.continuationHash) = (.pending, "c3")
            #expect(try await stores.gnap.updateGrant(waiting, expectedContinuationHash: "c2", expectedState: .approved, issued: []))
            #expect(try await Self.active(stores, ["st2"]) == ["st2"])
            #expect(try await stores.gnap.decide(grantID: "sg1", approve: true, subject: "bob", expectedRequest: nil, at: Self.now))
            #expect(try await Self.active(stores, ["st2", "st3"]) == ["st3"])

            // Approved again by the same person: her token stays; denied: every token ends.
            try await stores.gnap.createGrant(GNAPStoreConformanceTests.grant("sg3"), issued: [issued("st4", "sm4", "sg3", "alice")])
            #expect(try await stores.gnap.decide(grantID: "sg3", approve: true, subject: "alice", expectedRequest: nil, at: Self.now))
            #expect(try await Self.active(stores, ["st4"]) == ["st4"])
            try await stores.gnap.createGrant(GNAPStoreConformanceTests.grant("sg4"), issued: [issued("st5", "sm5", "sg4", "alice")])
            #expect(try await stores.gnap.decide(grantID: "sg4", approve: false, subject: nil, expectedRequest: nil, at: Self.now))
            #expect(try await Self.active(stores, ["st5", "st3"]) == ["st3"])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func gnapRevocationPathsCascade(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let gnapToken = { (jti: String, manage: String, grant: String) in
                GNAPIssuedToken(
                    token: GNAPTokenRecord(
                        manageID: manage,
                        managementHash: "h-" + manage,
                        grantID: grant,
                        jti: jti,
                        label: nil,
                        access: "[]",
                        flags: [],
                        createdAt: Self.now
                    ),
                    accessToken: Self.token(jti, grant: grant, parent: TokenParent(.gnap)).accessToken
                )
            }
            // A finalized grant takes what was derived from its tokens.
            try await stores.gnap.createGrant(
                GNAPStoreConformanceTests.grant("gg1", state: .approved),
                issued: [gnapToken("gt1", "m1", "gg1")]
            )
            try await stores.tokens.record(Self.exchanged("gx1", from: "gt1"))
            let finalized = GNAPStoreConformanceTests.grant("gg1", state: .finalized, continuation: nil)
            #expect(try await stores.gnap.updateGrant(finalized, expectedContinuationHash: "c1", expectedState: .approved, issued: []))
            #expect(try await Self.active(stores, ["gt1", "gx1"]).isEmpty)

            // Revoking or rotating one GNAP token takes what was derived from it.
            try await stores.gnap.createGrant(
                GNAPStoreConformanceTests.grant("gg2", state: .approved),
                issued: [gnapToken("gt2", "m2", "gg2"), gnapToken("gt3", "m3", "gg2")]
            )
            try await stores.tokens.record(Self.exchanged("gx2", from: "gt2"))
            try await stores.tokens.record(Self.exchanged("gx3", from: "gt3"))
            #expect(try await stores.gnap.revokeToken(manageID: "m2", at: Self.now))
            #expect(try await Self.active(stores, ["gt2", "gx2", "gt3", "gx3"]) == ["gt3", "gx3"])
            #expect(
                try await stores.gnap.rotateToken(
                    manageID: "m3",
                    expectedManagementHash: "h-m3",
                    replacement: gnapToken("gt4", "m3", "gg2"),
                    at: Self.now
                )
            )
            #expect(try await Self.active(stores, ["gt3", "gx3", "gt4"]) == ["gt4"])
        }
    }

    /// Children recorded while their parent is being revoked (on PostgreSQL from other pool connections, at the
    /// same moment): each is either reached by the cascade or recorded revoked — none survives.
    @Test(arguments: StoreBackend.allCases)
    func aChildRecordedWhileItsParentIsRevokedNeverSurvives(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            for round in 0..<5 {
                let root = "race\(round)"
                try await stores.tokens.record(Self.token(root, grant: "g-" + root))
                let children = (0..<24).map { "\(root)-c\($0)" }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, child) in children.enumerated() {
                        group.addTask { try await stores.tokens.record(Self.exchanged(child, from: root)) }
                        if index == children.count / 2 {
                            group.addTask { _ = try await stores.tokens.revokeAccessToken(jti: root, at: Self.now) }
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(try await Self.active(stores, [root] + children).isEmpty, "round \(round)")
            }
        }
    }

    /// Expired parents stay while a descendant does, so a cascade from further up still finds the descendant.
    @Test(arguments: StoreBackend.allCases)
    func expiredParentsAreKeptWhileTheirDescendantsLive(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.tokens.record(Self.token("p0", grant: "family", refreshHash: "pr"))
            var middle = Self.exchanged("p1", from: "p0")
            middle.accessToken.expiresAt = Self.now.addingTimeInterval(10)
            try await stores.tokens.record(middle)
            var leaf = Self.exchanged("p2", from: "p1")
            leaf.accessToken.expiresAt = Self.now.addingTimeInterval(7200)
            try await stores.tokens.record(leaf)
            _ = try await stores.tokens.deleteExpired(before: Self.now.addingTimeInterval(60))
            #expect(try await stores.tokens.accessToken(jti: "p1") != nil, "kept: p2 derives from it")
            #expect(try await stores.tokens.revokeGrant(id: "family", at: Self.now) >= 2)
            #expect(try await Self.active(stores, ["p2"]).isEmpty)
        }
    }
}
