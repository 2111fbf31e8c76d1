import TesseraProtocol
import Testing

@testable import TesseraEngine

/// The coverage rule behind GNAP modification (RFC 9635 §5.3, issue 18): a requested right is
/// covered only by an approved right that holds all of it; when in doubt it is not covered.
@Suite struct GNAPRightsCoverageTests {
    static let read = GNAPAccessObject(
        type: "photo-api",
        actions: ["read"],
        locations: ["https://a.example/"],
        datatypes: ["image"],
        identifier: "album-1"
    )

    static func with(_ change: (inout GNAPAccessObject) -> Void) -> GNAPAccessRight {
        var object = read
        change(&object)
        return .object(object)
    }

    @Test func narrowerOrEqualObjectRightsAreCovered() {
        var wide = Self.read
        wide.actions = ["read", "write"]
        wide.locations = ["https://a.example/", "https://b.example/"]
        #expect(GNAPRightsCoverage.covers([.object(wide)], [.object(Self.read)]))
        #expect(GNAPRightsCoverage.covers([.object(Self.read)], [.object(Self.read)]))
        #expect(GNAPRightsCoverage.covers(["ref-1"], ["ref-1"]))
    }

    @Test(arguments: [
        ("more actions", GNAPRightsCoverageTests.with { $0.actions = ["read", "delete"] }),
        ("other location", GNAPRightsCoverageTests.with { $0.locations = ["https://b.example/"] }),
        ("actions omitted", GNAPRightsCoverageTests.with { $0.actions = nil }),
        ("locations empty", GNAPRightsCoverageTests.with { $0.locations = [] }),
        ("identifier omitted", GNAPRightsCoverageTests.with { $0.identifier = nil }),
        ("other identifier", GNAPRightsCoverageTests.with { $0.identifier = "album-2" }),
        ("more datatypes", GNAPRightsCoverageTests.with { $0.datatypes = ["image", "video"] }),
        ("privileges", GNAPRightsCoverageTests.with { $0.privileges = ["admin"] }),
        ("other type", GNAPRightsCoverageTests.with { $0.type = "photo-admin" }),
        ("unknown member", GNAPRightsCoverageTests.with { $0.extra["scope"] = .string("all") }),
    ])
    func widerObjectRightsAreNotCovered(_ label: String, _ wanted: GNAPAccessRight) {
        #expect(!GNAPRightsCoverage.covers([.object(Self.read)], [wanted]), "\(label)")
    }

    @Test func anUnrestrictedApprovedMemberCoversOnlyAnOmittedOne() {
        let unrestricted = GNAPAccessObject(type: "photo-api")
        #expect(GNAPRightsCoverage.covers([.object(unrestricted)], [.object(unrestricted)]))
        #expect(!GNAPRightsCoverage.covers([.object(unrestricted)], [.object(Self.read)]), "conservative: the API's default is unknown")
        #expect(!GNAPRightsCoverage.covers(["ref-1"], [.object(unrestricted)]))
        #expect(!GNAPRightsCoverage.covers([.object(unrestricted)], ["photo-api"]))
    }

    static let status = #"permit (principal, action == BankA::Action::"status", resource is Creditor);"#
    static let initiate = #"permit (principal, action == BankA::Action::"initiate", resource is Creditor);"#
    static let notOther = #"forbid (principal, action == BankA::Action::"initiate", resource == Creditor::"https://example.com/other");"#

    @Test func cedarSetsOnlyNarrow() {
        #expect(GNAPRightsCoverage.cedarCovers(approved: Self.status + "\n" + Self.initiate, requested: Self.status))
        let both = Self.initiate + "\n" + Self.notOther
        #expect(GNAPRightsCoverage.cedarCovers(approved: both, requested: Self.notOther + Self.initiate))
        #expect(!GNAPRightsCoverage.cedarCovers(approved: Self.status, requested: Self.status + "\n" + Self.initiate), "a permit added")
        #expect(!GNAPRightsCoverage.cedarCovers(approved: both, requested: Self.initiate), "a forbid dropped")
        #expect(!GNAPRightsCoverage.cedarCovers(approved: Self.status, requested: "permit (principal, action,"), "unparsable")
    }

    @Test func bearerAndSubjectInformationMustHaveBeenApproved() {
        let bound = GNAPTokenRequests.single(GNAPTokenRequest(access: [.object(Self.read)]))
        let bearer = GNAPTokenRequests.single(GNAPTokenRequest(access: [.object(Self.read)], flags: ["bearer"]))
        #expect(GNAPRightsCoverage.covers(bound, bound))
        #expect(!GNAPRightsCoverage.covers(bound, bearer))
        #expect(GNAPRightsCoverage.covers(bearer, bound))
        let opaque = GNAPSubjectRequest(subIDFormats: ["opaque"])
        #expect(GNAPRightsCoverage.covers(opaque, nil))
        #expect(!GNAPRightsCoverage.covers(nil, opaque))
        #expect(!GNAPRightsCoverage.covers(opaque, GNAPSubjectRequest(subIDFormats: ["opaque"], assertionFormats: ["id_token"])))
    }
    /// A right approved only in a key-bound token never moves into a bearer token (second review of 2026-12-07, G2;
    /// RFC 9635 §2.1.1): with `pub` (read, bearer) and `priv` (write, key-bound) approved, one bearer token with both
    /// is not covered — anyone holding it could write — while a key-bound token with both, or a bearer one with read, is.
    @Test func aBearerTokenIsCoveredOnlyByApprovedBearerTokens() {
        let write = Self.with { $0.actions = ["write"] }
        let approved = GNAPTokenRequests.multiple([
            GNAPTokenRequest(access: [.object(Self.read)], label: "pub", flags: ["bearer"]),
            GNAPTokenRequest(access: [write], label: "priv"),
        ])
        let merged = GNAPTokenRequest(access: [.object(Self.read), write], label: "pub", flags: ["bearer"])
        #expect(!GNAPRightsCoverage.covers(approved, .single(merged)))
        #expect(!GNAPRightsCoverage.coversIssued(approved, merged))
        // Nor is a key-bound token covered by the two approved tokens together (G2 remainder, below).
        let bound = GNAPTokenRequest(access: [.object(Self.read), write], label: "priv")
        #expect(!GNAPRightsCoverage.covers(approved, .single(bound)))
        #expect(!GNAPRightsCoverage.coversIssued(approved, bound))
        let boundRead = GNAPTokenRequest(access: [.object(Self.read)], label: "priv")
        #expect(GNAPRightsCoverage.covers(approved, .single(boundRead)), "a bearer token's right may be key-bound")
        let readOnly = GNAPTokenRequest(access: [.object(Self.read)], label: "pub", flags: ["bearer"])
        #expect(GNAPRightsCoverage.covers(approved, .single(readOnly)))
        #expect(GNAPRightsCoverage.coversIssued(approved, readOnly))
    }

    /// Each wanted token must be within ONE approved token: two tokens approved separately (one per resource server)
    /// are not merged into a token valid at both (RFC 9635 §2, §5.3; second review, G2 remainder).
    @Test func aTokenIsCoveredByOneApprovedTokenNotByTheUnionOfSeveral() {
        let other = Self.with {
            $0.actions = ["write"]
            $0.locations = ["https://b.example/"]
        }
        let approved = GNAPTokenRequests.multiple([
            GNAPTokenRequest(access: [.object(Self.read)], label: "a"), GNAPTokenRequest(access: [other], label: "b"),
        ])
        let merged = GNAPTokenRequest(access: [.object(Self.read), other])
        #expect(!GNAPRightsCoverage.covers(approved, .single(merged)))
        #expect(!GNAPRightsCoverage.coversIssued(approved, merged))
        #expect(GNAPRightsCoverage.covers(approved, .single(GNAPTokenRequest(access: [other]))))
        #expect(GNAPRightsCoverage.covers(approved, approved))
        #expect(GNAPRightsCoverage.coversIssued(approved, GNAPTokenRequest(access: [.object(Self.read)], label: "a")))
    }
}
