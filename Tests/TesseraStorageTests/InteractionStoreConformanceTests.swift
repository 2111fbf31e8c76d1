import Foundation
import TesseraStorage
import Testing

/// Users, sessions and GNAP interactions (migration 0003) on both backends: an interaction is
/// decided once, its grant only while pending, and its `interact_ref` accepted once.
@Suite struct InteractionStoreConformanceTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func interaction(_ id: String, grant: String, code: String? = nil, expires: TimeInterval = 600) -> GNAPInteractionRecord {
        GNAPInteractionRecord(
            id: id,
            grantID: grant,
            userCode: code,
            finishMethod: "redirect",
            finishURI: "https://client.example/cb",
            clientNonce: "cn",
            serverNonce: "sn",
            hashMethod: "sha-256",
            owner: "alice",
            state: .waiting,
            interactRefHash: nil,
            createdAt: now,
            expiresAt: now.addingTimeInterval(expires)
        )
    }

    @Test(arguments: StoreBackend.allCases)
    func usersAreAddedReplacedListedAndRemoved(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.people.upsertUser(UserRecord(username: "bob", passwordHash: "h1", displayName: nil, createdAt: Self.now))
            try await stores.people.upsertUser(UserRecord(username: "alice", passwordHash: "h2", displayName: "Alice", createdAt: Self.now))
            try await stores.people.upsertUser(UserRecord(username: "bob", passwordHash: "h3", displayName: "Bob", createdAt: Self.now))
            #expect(try await stores.people.users().map(\.username) == ["alice", "bob"])
            #expect(try await stores.people.user(username: "bob")?.passwordHash == "h3")
            try await stores.people.createSession(
                SessionRecord(
                    idHash: "s1",
                    username: "bob",
                    csrfToken: "x",
                    createdAt: Self.now,
                    expiresAt: Self.now.addingTimeInterval(60)
                )
            )
            #expect(try await stores.people.removeUser(username: "bob", at: Self.now))
            #expect(try await !stores.people.removeUser(username: "bob", at: Self.now))
            #expect(try await stores.people.user(username: "bob") == nil)
            #expect(try await stores.people.session(idHash: "s1", at: Self.now) == nil, "removing a user ends their sessions")
        }
    }

    /// J15: a changed password ends the person's sessions; the same hash written again (a restart re-reading the
    /// config file, a new display name) keeps them, and nobody else's session is touched.
    @Test(arguments: StoreBackend.allCases)
    func aChangedPasswordEndsThePersonsSessionsAndOnlyTheirs(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            func session(_ id: String, _ username: String?) -> SessionRecord {
                SessionRecord(
                    idHash: id,
                    username: username,
                    csrfToken: "x",
                    createdAt: Self.now,
                    expiresAt: Self.now.addingTimeInterval(60)
                )
            }
            try await stores.people.upsertUser(UserRecord(username: "bob", passwordHash: "h1", displayName: nil, createdAt: Self.now))
            try await stores.people.upsertUser(UserRecord(username: "carol", passwordHash: "h1", displayName: nil, createdAt: Self.now))
            for (id, name) in [("bob-1", "bob"), ("bob-2", "bob"), ("carol-1", "carol")] {
                try await stores.people.createSession(session(id, name))
            }
            try await stores.people.createSession(session("anonymous", nil))
            try await stores.people.upsertUser(UserRecord(username: "bob", passwordHash: "h1", displayName: "Bob", createdAt: Self.now))
            #expect(try await stores.people.session(idHash: "bob-1", at: Self.now) != nil, "the same hash keeps the sessions")
            try await stores.people.upsertUser(UserRecord(username: "bob", passwordHash: "h2", displayName: "Bob", createdAt: Self.now))
            #expect(try await stores.people.session(idHash: "bob-1", at: Self.now) == nil)
            #expect(try await stores.people.session(idHash: "bob-2", at: Self.now) == nil)
            #expect(try await stores.people.session(idHash: "carol-1", at: Self.now) != nil)
            #expect(try await stores.people.session(idHash: "anonymous", at: Self.now) != nil)
            #expect(try await stores.people.user(username: "bob")?.passwordHash == "h2")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func sessionsExpireAndAreDeleted(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let session = SessionRecord(
                idHash: "s2",
                username: nil,
                csrfToken: "csrf",
                createdAt: Self.now,
                expiresAt: Self.now.addingTimeInterval(60)
            )
            try await stores.people.createSession(session)
            #expect(try await stores.people.session(idHash: "s2", at: Self.now) == session)
            #expect(try await stores.people.session(idHash: "s2", at: Self.now.addingTimeInterval(61)) == nil)
            #expect(try await stores.people.deleteExpiredSessions(before: Self.now.addingTimeInterval(120)) == 1)
            try await stores.people.createSession(session)
            try await stores.people.deleteSession(idHash: "s2")
            #expect(try await stores.people.session(idHash: "s2", at: Self.now) == nil)
        }
    }

    /// A grant modified while its consent page is open (RFC 9635 §5.3, issue 18): the open
    /// interaction is replaced (or removed), so a decision on the old page changes nothing.
    @Test(arguments: StoreBackend.allCases)
    func replacingAnInteractionCancelsTheOpenOne(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.gnap.createGrant(GNAPStoreConformanceTests.grant("g9"), issued: [])
            try await stores.interactions.createInteraction(Self.interaction("old", grant: "g9", code: "WXYZ2345"))
            try await stores.interactions.replaceInteraction(grantID: "g9", with: Self.interaction("new", grant: "g9"))
            #expect(try await stores.interactions.interaction(id: "old") == nil)
            #expect(try await stores.interactions.interaction(userCode: "WXYZ2345") == nil)
            #expect(try await stores.interactions.interaction(grantID: "g9")?.id == "new")
            let decision = GNAPInteractionDecision(approve: true, subject: "alice", narrowedRequest: nil, interactRefHash: "h")
            #expect(try await !stores.interactions.decide(interactionID: "old", decision, at: Self.now), "the old page decides nothing")
            try await stores.interactions.replaceInteraction(grantID: "g9", with: nil)
            #expect(try await stores.interactions.interaction(grantID: "g9") == nil)
            #expect(try await !stores.interactions.decide(interactionID: "new", decision, at: Self.now))
            #expect(try await stores.gnap.grant(id: "g9")?.state == .pending)
        }
    }

    @Test(.bug(id: 23, "anonymous sessions were unbounded rows"), arguments: StoreBackend.allCases)
    func anonymousSessionsAreBoundedOldestFirstAndExpiredOnesGo(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            func anonymous(_ index: Int, at time: Date) -> SessionRecord {
                SessionRecord(idHash: "a\(index)", username: nil, csrfToken: "c", createdAt: time, expiresAt: time.addingTimeInterval(60))
            }
            let signedIn = SessionRecord(
                idHash: "u1",
                username: "bob",
                csrfToken: "c",
                createdAt: Self.now,
                expiresAt: Self.now.addingTimeInterval(60)
            )
            try await stores.people.createSession(signedIn)
            for index in 0..<5 {
                let time = Self.now.addingTimeInterval(Double(index))
                try await stores.people.createAnonymousSession(anonymous(index, at: time), limit: 3, at: time)
            }
            let later = Self.now.addingTimeInterval(5)
            #expect(try await stores.people.anonymousSessionCount(at: later) == 3)
            #expect(try await stores.people.session(idHash: "a0", at: later) == nil, "the oldest went first")
            #expect(try await stores.people.session(idHash: "a1", at: later) == nil)
            #expect(try await stores.people.session(idHash: "a4", at: later) != nil)
            #expect(try await stores.people.session(idHash: "u1", at: later) != nil, "signed-in sessions do not count and stay")
            // Expired anonymous sessions are deleted by the next creation, not kept until the sweeper runs.
            let muchLater = Self.now.addingTimeInterval(600)
            try await stores.people.createAnonymousSession(anonymous(9, at: muchLater), limit: 3, at: muchLater)
            #expect(try await stores.people.deleteExpiredSessions(before: muchLater) == 1, "only the signed-in one was left expired")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func anInteractionIsDecidedOnceAndItsReferenceUsedOnce(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.gnap.createGrant(GNAPStoreConformanceTests.grant("g1"), issued: [])
            try await stores.interactions.createInteraction(Self.interaction("i1", grant: "g1", code: "ABCD2345"))
            #expect(try await stores.interactions.interaction(userCode: "ABCD2345")?.id == "i1")
            #expect(try await stores.interactions.interaction(grantID: "g1")?.id == "i1")
            let decision = GNAPInteractionDecision(
                approve: true,
                subject: "alice",
                narrowedRequest: "{\"narrow\":1}",
                interactRefHash: "r1"
            )
            #expect(try await stores.interactions.decide(interactionID: "i1", decision, at: Self.now))
            #expect(try await !stores.interactions.decide(interactionID: "i1", decision, at: Self.now), "decided twice")
            let grant = try #require(try await stores.gnap.grant(id: "g1"))
            #expect(grant.state == .approved && grant.subject == "alice" && grant.request == "{\"narrow\":1}")
            #expect(try await stores.interactions.interaction(id: "i1")?.state == .finished)
            // The reference is spent only together with the grant update it pays for (one transaction).
            let next = GNAPStoreConformanceTests.grant("g1", state: .approved, continuation: "c2")
            #expect(
                try await !stores.gnap.updateGrant(
                    next,
                    expectedContinuationHash: "c1",
                    expectedState: .approved,
                    issued: [],
                    consumingInteractRef: "wrong"
                )
            )
            #expect(
                try await !stores.gnap.updateGrant(
                    next,
                    expectedContinuationHash: "stale",
                    expectedState: .approved,
                    issued: [],
                    consumingInteractRef: "r1"
                )
            )
            #expect(try await stores.interactions.interaction(id: "i1")?.state == .finished, "a refused grant update spends nothing")
            #expect(try await stores.gnap.grant(id: "g1")?.continuationHash == "c1", "a refused reference moves nothing")
            #expect(
                try await stores.gnap.updateGrant(
                    next,
                    expectedContinuationHash: "c1",
                    expectedState: .approved,
                    issued: [],
                    consumingInteractRef: "r1"
                )
            )
            #expect(try await stores.interactions.interaction(id: "i1")?.state == .used)
            let replay = GNAPStoreConformanceTests.grant("g1", state: .approved, continuation: "c3")
            #expect(
                try await !stores.gnap.updateGrant(
                    replay,
                    expectedContinuationHash: "c2",
                    expectedState: .approved,
                    issued: [],
                    consumingInteractRef: "r1"
                ),
                "replayed interact_ref"
            )
            #expect(try await stores.gnap.grant(id: "g1")?.continuationHash == "c2")
        }
    }

    /// RFC 9635 §5.3: the person's decision revokes, with it, the grant's earlier tokens it names (and what was
    /// derived from them); a decision that is refused revokes nothing.
    @Test(arguments: StoreBackend.allCases)
    func aDecisionRevokesTheTokensItNames(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let issued = { (jti: String, manage: String) in
                GNAPIssuedToken(
                    token: GNAPTokenRecord(
                        manageID: manage,
                        managementHash: "h-" + manage,
                        grantID: "g5",
                        jti: jti,
                        label: nil,
                        access: "[]",
                        flags: [],
                        createdAt: Self.now
                    ),
                    accessToken: StoreFixtures.issuance(jti: jti, grant: "g5").accessToken
                )
            }
            try await stores.gnap.createGrant(GNAPStoreConformanceTests.grant("g5"), issued: [issued("t5", "m5"), issued("t6", "m6")])
            try await stores.interactions.createInteraction(Self.interaction("i5", grant: "g5"))
            let decision = GNAPInteractionDecision(
                approve: true,
                subject: "bob",
                narrowedRequest: nil,
                interactRefHash: "r5",
                revoking: ["m5"]
            )
            #expect(try await !stores.interactions.decide(interactionID: "i5", decision, at: Self.now.addingTimeInterval(3600)))
            #expect(try await stores.gnap.liveTokens(grantID: "g5").map(\.manageID) == ["m5", "m6"], "a refused decision revokes nothing")
            #expect(try await stores.interactions.decide(interactionID: "i5", decision, at: Self.now))
            #expect(try await stores.gnap.liveTokens(grantID: "g5").map(\.manageID) == ["m6"])
            #expect(try await stores.tokens.accessToken(jti: "t5")?.revokedAt != nil)
            #expect(try await stores.tokens.accessToken(jti: "t6")?.revokedAt == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func expiredInteractionsAndDecidedGrantsRefuseDecisions(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.gnap.createGrant(GNAPStoreConformanceTests.grant("g2"), issued: [])
            try await stores.interactions.createInteraction(Self.interaction("i2", grant: "g2", expires: 10))
            let deny = GNAPInteractionDecision(approve: false, subject: "alice", narrowedRequest: nil, interactRefHash: "r2")
            #expect(try await !stores.interactions.decide(interactionID: "i2", deny, at: Self.now.addingTimeInterval(11)), "expired")
            // An operator decided out of band first: the interaction must not decide again.
            #expect(try await stores.gnap.decide(grantID: "g2", approve: true, subject: "op", expectedRequest: nil, at: Self.now))
            #expect(try await !stores.interactions.decide(interactionID: "i2", deny, at: Self.now))
            #expect(try await stores.interactions.interaction(id: "i2")?.state == .waiting)
            #expect(try await stores.gnap.grant(id: "g2")?.state == .approved)
            #expect(try await stores.interactions.deleteExpiredInteractions(before: Self.now.addingTimeInterval(60)) == 1)
            #expect(try await stores.interactions.interaction(id: "i2") == nil)
        }
    }
}
