import Foundation
import TesseraStorage
import Testing

/// The GNAP store's contract on both backends: continuation and management tokens are compare-and-
/// swap, and a resource owner's decision is never overwritten by a continuation that read earlier.
@Suite struct GNAPStoreConformanceTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func grant(_ id: String, state: GNAPGrantRecord.State = .pending, continuation: String? = "c1") -> GNAPGrantRecord {
        GNAPGrantRecord(
            id: id,
            state: state,
            clientKey: "{}",
            keyThumbprint: "t",
            instanceID: nil,
            request: "{}",
            continuationHash: continuation,
            continueAfter: now,
            subject: nil,
            createdAt: now,
            updatedAt: now,
            expiresAt: now.addingTimeInterval(3600)
        )
    }

    @Test(arguments: StoreBackend.allCases)
    func continuationIsSingleUse(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.gnap.createGrant(Self.grant("g1"), issued: [])
            var next = Self.grant("g1", continuation: "c2")
            next.updatedAt = Self.now.addingTimeInterval(1)
            #expect(try await stores.gnap.updateGrant(next, expectedContinuationHash: "c1", expectedState: .pending, issued: []))
            #expect(try await !stores.gnap.updateGrant(next, expectedContinuationHash: "c1", expectedState: .pending, issued: []))
            #expect(try await stores.gnap.grant(id: "g1")?.continuationHash == "c2")
        }
    }

    static func nonce(_ value: String) -> SingleUseSpend {
        SingleUseSpend(namespace: "httpsig:t", value: value, expiresAt: now.addingTimeInterval(300), now: now)
    }

    /// Issue 22: a grant and its key proof's nonce commit together. A nonce spent before refuses the grant, storing
    /// nothing and spending none of the request's other values; a nonce spent with a grant refuses the next one.
    @Test(arguments: StoreBackend.allCases)
    func aGrantIsStoredOnlyWithItsNoncesUnspent(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let (a, b) = (Self.nonce("a"), Self.nonce("b"))
            let first = try await stores.gnap.createGrant(Self.grant("n1", continuation: "cn1"), issued: [], spending: [a])
            #expect(first)
            #expect(try await stores.gnap.grant(id: "n1") != nil)
            // Replayed: nothing stored, and "b" (spent in the same job before "a" was found spent) rolled back.
            let replayed = try await stores.gnap.createGrant(Self.grant("n2", continuation: "cn2"), issued: [], spending: [b, a])
            #expect(!replayed)
            #expect(try await stores.gnap.grant(id: "n2") == nil)
            let fresh = try await stores.replay.insertIfAbsent(namespace: b.namespace, value: b.value, expiresAt: b.expiresAt, now: b.now)
            #expect(fresh)
            // The spends are the replay cache's: a value spent there first refuses the grant too.
            let spentThere = try await stores.gnap.createGrant(Self.grant("n3", continuation: "cn3"), issued: [], spending: [b])
            #expect(!spentThere)
            #expect(try await stores.gnap.grant(id: "n3") == nil)
        }
    }

    /// Regression: a poll that read `pending` must not write `pending` back over an approval made meanwhile.
    @Test(arguments: StoreBackend.allCases)
    func aDecisionMadeMeanwhileIsNotOverwritten(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.gnap.createGrant(Self.grant("g2"), issued: [])
            #expect(try await stores.gnap.decide(grantID: "g2", approve: true, subject: "alice", expectedRequest: nil, at: Self.now))
            let stalePoll = Self.grant("g2", state: .pending, continuation: "c2")
            #expect(try await !stores.gnap.updateGrant(stalePoll, expectedContinuationHash: "c1", expectedState: .pending, issued: []))
            let stored = try #require(try await stores.gnap.grant(id: "g2"))
            #expect(stored.state == .approved && stored.subject == "alice" && stored.continuationHash == "c1")
            #expect(try await !stores.gnap.decide(grantID: "g2", approve: false, subject: nil, expectedRequest: nil, at: Self.now))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func finalizedGrantsStayFinalized(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.gnap.createGrant(Self.grant("g3"), issued: [])
            let finalized = Self.grant("g3", state: .finalized, continuation: nil)
            #expect(try await stores.gnap.updateGrant(finalized, expectedContinuationHash: "c1", expectedState: .pending, issued: []))
            let revived = Self.grant("g3", state: .approved, continuation: "c9")
            #expect(try await !stores.gnap.updateGrant(revived, expectedContinuationHash: nil, expectedState: .finalized, issued: []))
            #expect(try await stores.gnap.grant(id: "g3")?.state == .finalized)
        }
    }

    /// OpenID Connect Core §2 `auth_time`: a grant keeps when the person who approved it at the consent page
    /// signed in, through every continuation; an out-of-band approval records that nobody signed in here.
    @Test(arguments: StoreBackend.allCases)
    func theApprovingSignInIsKeptAndAnOutOfBandApprovalHasNone(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let signedIn = Self.now.addingTimeInterval(-45)
            try await stores.gnap.createGrant(Self.grant("s1"), issued: [])
            try await stores.interactions.createInteraction(InteractionStoreConformanceTests.interaction("i1", grant: "s1"))
            let decision = GNAPInteractionDecision(
                approve: true,
                subject: "alice",
                narrowedRequest: nil,
                interactRefHash: "h1",
                authenticatedAt: signedIn
            )
            #expect(try await stores.interactions.decide(interactionID: "i1", decision, at: Self.now))
            var approved = try #require(try await stores.gnap.grant(id: "s1"))
            #expect(approved.subject == "alice" && approved.authenticatedAt == signedIn)
            // A continuation writes the grant back with its sign-in time unchanged.
            approved.continuationHash = "c2"
            approved.updatedAt = Self.now.addingTimeInterval(30)
            #expect(try await stores.gnap.updateGrant(approved, expectedContinuationHash: "c1", expectedState: .approved, issued: []))
            #expect(try await stores.gnap.grant(id: "s1")?.authenticatedAt == signedIn)
            // Sent back to a person (RFC 9635 §5.3): the engine clears it with the subject.
            var pending = try #require(try await stores.gnap.grant(id: "s1"))
            (pending.state, pending.subject, pending.authenticatedAt, pending.continuationHash) = (.pending, nil, nil, "c3")
            #expect(try await stores.gnap.updateGrant(pending, expectedContinuationHash: "c2", expectedState: .approved, issued: []))
            #expect(try await stores.gnap.grant(id: "s1")?.authenticatedAt == nil)
            // Whatever a pending row holds, an out-of-band decision leaves no sign-in time.
            var carried = Self.grant("s2")
            carried.authenticatedAt = signedIn
            try await stores.gnap.createGrant(carried, issued: [])
            #expect(try await stores.gnap.grant(id: "s2")?.authenticatedAt == signedIn)
            #expect(try await stores.gnap.decide(grantID: "s2", approve: true, subject: "bob", expectedRequest: nil, at: Self.now))
            let outOfBand = try #require(try await stores.gnap.grant(id: "s2"))
            #expect(outOfBand.subject == "bob" && outOfBand.authenticatedAt == nil)
        }
    }

    /// A Cedar right's `valid_for` window counts from the approval a grant stands on (second review, G4): the consent
    /// page's and the out-of-band decisions record when they approved, a continuation writes it back unchanged, and a
    /// denial records none.
    @Test(arguments: StoreBackend.allCases)
    func theApprovalTimeIsRecordedByEachDecisionAndKeptByContinuations(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let decidedAt = Self.now.addingTimeInterval(5)
            try await stores.gnap.createGrant(Self.grant("t1"), issued: [])
            #expect(try await stores.gnap.grant(id: "t1")?.approvedAt == nil)
            try await stores.interactions.createInteraction(InteractionStoreConformanceTests.interaction("i1", grant: "t1"))
            let decision = GNAPInteractionDecision(
                approve: true,
                subject: "alice",
                narrowedRequest: nil,
                interactRefHash: "h1",
                authenticatedAt: Self.now
            )
            #expect(try await stores.interactions.decide(interactionID: "i1", decision, at: decidedAt))
            var approved = try #require(try await stores.gnap.grant(id: "t1"))
            #expect(approved.approvedAt == decidedAt)
            approved.continuationHash = "c2"
            approved.updatedAt = Self.now.addingTimeInterval(30)
            #expect(try await stores.gnap.updateGrant(approved, expectedContinuationHash: "c1", expectedState: .approved, issued: []))
            #expect(try await stores.gnap.grant(id: "t1")?.approvedAt == decidedAt, "a continuation is no new approval")

            try await stores.gnap.createGrant(Self.grant("t2"), issued: [])
            #expect(try await stores.gnap.decide(grantID: "t2", approve: true, subject: "bob", expectedRequest: nil, at: decidedAt))
            #expect(try await stores.gnap.grant(id: "t2")?.approvedAt == decidedAt)
            try await stores.gnap.createGrant(Self.grant("t3"), issued: [])
            #expect(try await stores.gnap.decide(grantID: "t3", approve: false, subject: nil, expectedRequest: nil, at: decidedAt))
            #expect(try await stores.gnap.grant(id: "t3")?.approvedAt == nil)
        }
    }

    /// The account page's query (issue 21): a person's approved grants, newest first, and no one else's.
    @Test(arguments: StoreBackend.allCases)
    func approvedGrantsAreListedByTheirSubject(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            for (id, offset) in [("a1", 0.0), ("a2", 10.0), ("b1", 5.0), ("p1", 1.0)] {
                var grant = Self.grant(id, continuation: "c-" + id)
                grant.createdAt = Self.now.addingTimeInterval(offset)
                try await stores.gnap.createGrant(grant, issued: [])
            }
            #expect(try await stores.gnap.decide(grantID: "a1", approve: true, subject: "alice", expectedRequest: nil, at: Self.now))
            #expect(try await stores.gnap.decide(grantID: "a2", approve: true, subject: "alice", expectedRequest: nil, at: Self.now))
            #expect(try await stores.gnap.decide(grantID: "b1", approve: true, subject: "bob", expectedRequest: nil, at: Self.now))
            #expect(try await stores.gnap.grants(subject: "alice", state: .approved).map(\.id) == ["a2", "a1"])
            #expect(try await stores.gnap.grants(subject: "bob", state: .approved).map(\.id) == ["b1"])
            #expect(try await stores.gnap.grants(subject: "alice", state: .pending).isEmpty)
            // Withdrawn (finalized): no longer listed as approved.
            var finalized = try #require(try await stores.gnap.grant(id: "a1"))
            finalized.state = .finalized
            finalized.continuationHash = nil
            #expect(try await stores.gnap.updateGrant(finalized, expectedContinuationHash: "c-a1", expectedState: .approved, issued: []))
            #expect(try await stores.gnap.grants(subject: "alice", state: .approved).map(\.id) == ["a2"])
        }
    }

    /// Review round 13, L3: an out-of-band approval is written only while the grant's request is the one approved
    /// (compare-and-swap), on both backends; a denial (no expected request) is written whatever it asks.
    @Test(arguments: StoreBackend.allCases)
    func anApprovalIsWrittenOnlyForTheRequestItNames(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            var modified = Self.grant("r1")
            modified.request = #"{"access_token":{"access":["admin"]}}"#
            try await stores.gnap.createGrant(modified, issued: [])
            #expect(try await !stores.gnap.decide(grantID: "r1", approve: true, subject: "alice", expectedRequest: "{}", at: Self.now))
            #expect(try await stores.gnap.grant(id: "r1")?.state == .pending)
            #expect(
                try await stores.gnap.decide(
                    grantID: "r1",
                    approve: true,
                    subject: "alice",
                    expectedRequest: modified.request,
                    at: Self.now
                )
            )
            #expect(try await stores.gnap.grant(id: "r1")?.state == .approved)
            try await stores.gnap.createGrant(Self.grant("r2"), issued: [])
            #expect(try await stores.gnap.decide(grantID: "r2", approve: false, subject: nil, expectedRequest: nil, at: Self.now))
        }
    }
}
