import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Security review round 10, H8 at the GNAP door: a Cedar-profile right restricts what the other rights of the
/// same token give at a resource server with a default grant for tokens without a Cedar grant of its type (the
/// MCP example's `default-grant.cedar`). An RFC 9767 §4 derivation or a modification without interaction
/// (RFC 9635 §5.3) that keeps the scope-like rights but leaves the Cedar right out must not fall back to that
/// default: the parent's (approved) Cedar rights of every type it leaves out are carried into it.
@Suite struct CedarGrantCarryGNAPTests {
    typealias D = CedarDocsFixtures
    typealias Forbid = CedarForbidGNAPTests
    let base = CedarForbidGNAPTests()

    /// The parent's Cedar grant: read on `Doc::"a"` only.
    static let readA = #"permit (principal, action == Docs::Action::"read", resource == Docs::Doc::"a");"#
    /// A second type's grant: read on `Doc::"c"` only.
    static let readC = #"permit (principal, action == Docs::Action::"read", resource == Docs::Doc::"c");"#

    /// A resource server like the MCP example's: tokens with a Cedar right of `type` are decided by those rights
    /// alone (the enforcer accepting that type); tokens without one by its default grant, read on any document.
    static func allowsWithDefaultGrant(_ details: [JSONValue], _ action: String, _ document: String, type: String = D.type) -> Bool {
        let carries = details.contains { CedarGrantCarryGNAPTests.cedarType($0) == type }
        guard carries else {
            let grant = #"permit (principal, action == Docs::Action::"read", resource);"#
            return D.allows([D.entry(grant, type: type)], action, document, acceptedTypes: [type])
        }
        return D.allows(details, action, document, acceptedTypes: [type])
    }

    /// The type of a Cedar-profile entry, `nil` for any other.
    static func cedarType(_ entry: JSONValue) -> String? {
        guard case .object(let members) = entry, members["rarFormat"] == .string("cedar") else { return nil }
        return members["type"]?.stringValue
    }

    /// GNAP rights as the resource server reads them (object rights as JSON).
    static func details(_ access: [GNAPAccessRight]) -> [JSONValue] {
        access.compactMap { right -> JSONValue? in
            guard case .object = right, let data = try? JSONEncoder().encode(right) else { return nil }
            return try? JSONDecoder().decode(JSONValue.self, from: data)
        }
    }

    /// The rights judged at the default-grant RS for `type`: read on `allowed` as the parent's grant says, never
    /// read on "b" (which only the default grant gives).
    static func expectDecidedByTheParentsGrant(_ access: [GNAPAccessRight], type: String = D.type, allowed: String = "a") {
        let details = details(access)
        #expect(Self.allowsWithDefaultGrant(details, "read", allowed, type: type), "\(access)")
        #expect(!Self.allowsWithDefaultGrant(details, "read", "b", type: type), "the token falls back to the default grant: \(access)")
    }

    /// A Cedar right of `type` (no `locations`).
    static func right(_ policySet: String, type: String = D.type) -> GNAPAccessRight {
        .object(GNAPAccessObject(type: type, extra: ["rarFormat": .string("cedar"), "policySet": .string(policySet)]))
    }

    /// An OAuth client-credentials token for `read` at the API carrying `entries`.
    func oauthParent(_ client: any TestClientProtocol, _ entries: [JSONValue]) async throws -> String {
        let form = FormParameters([
            ("grant_type", "client_credentials"), ("scope", "read"), ("resource", Forbid.api),
            ("authorization_details", D.json(entries)),
        ])
        var headers = HTTPHelpers.form
        headers[.authorization] = TestClients.basicAuthorization()
        let parent = try await client.execute(uri: "/token", method: .post, headers: headers, body: ByteBuffer(string: form.encoded)) {
            try HTTPHelpers.json($0.body)
        }
        #expect(parent["scope"] as? String == "read", "\(parent)")
        return try #require(parent["access_token"] as? String, "\(parent)")
    }

    /// rs-1 derives a token for `access` from `existing` (RFC 9767 §4).
    func derive(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ existing: String,
        _ access: [GNAPAccessRight]
    ) async throws -> GNAPEndpointTests.Exchange {
        let request = GNAPGrantRequest(
            accessToken: .single(GNAPTokenRequest(access: access)),
            client: .instance("rs-1"),
            existingAccessToken: existing
        )
        return try await GNAPEndpointTests.send(client, app, base.rs, method: .post, path: "/gnap", body: try GNAPTestSigner.body(request))
    }

    /// rx6: the parent is decided by its Cedar entry; the derived token asking for `read` only keeps it.
    @Test func aDerivedTokenKeepingOnlyTheScopeKeepsTheParentsCedarGrant() async throws {
        let app = try await base.app()
        try await app.application.test(.router) { client in
            let existing = try await oauthParent(client, [D.entry(Self.readA)])
            let derived = try await derive(client, app, existing, [.reference("read")])
            let access = try Forbid.access(derived)
            Self.expectDecidedByTheParentsGrant(access)
            #expect(access.contains(.reference("read")), "\(access)")
            let claims = try DerivedGNAPTokenBindingTests.claims(try DerivedGNAPTokenBindingTests.value(derived))
            #expect(claims.aud.values == [Forbid.api], "carrying the grant leaves the audience as asked")
        }
    }

    /// Per type: an RS that accepts only `docs2` decides the parent by its `docs2` entry; a derived token that keeps
    /// the scope and the `docs` entry only must not fall back to that RS's default grant.
    @Test func aDerivedTokenKeepingAnotherTypeKeepsTheParentsGrantOfEachType() async throws {
        let app = try await base.app()
        try await app.application.test(.router) { client in
            let existing = try await oauthParent(client, [D.entry(Self.readA), D.entry(Self.readC, type: D.otherType)])
            let derived = try await derive(client, app, existing, [.reference("read"), Self.right(Self.readA)])
            let access = try Forbid.access(derived)
            Self.expectDecidedByTheParentsGrant(access)
            Self.expectDecidedByTheParentsGrant(access, type: D.otherType, allowed: "c")
        }
    }

    /// A derived token asking only for Cedar rights keeps no scope-like right: it is decided by what it asked
    /// for, and nothing else of the parent is added.
    @Test func aDerivedTokenAskingOnlyForACedarRightIsUnchanged() async throws {
        let app = try await base.app()
        try await app.application.test(.router) { client in
            let existing = try await oauthParent(client, [D.entry(Self.readA), D.entry(Self.readC, type: D.otherType)])
            let derived = try await derive(client, app, existing, [Self.right(Self.readA)])
            let access = try Forbid.access(derived)
            #expect(access.count == 1, "\(access)")
            Self.expectDecidedByTheParentsGrant(access)
        }
    }

    /// gx3: alice approves `["read", Cedar right]`; the client PATCHes to `["read"]` without `interact`.
    @Test func aModificationWithoutInteractionKeepingOnlyTheScopeKeepsTheApprovedCedarRight() async throws {
        let app = try await base.app()
        try await app.application.test(.router) { client in
            let grant = try await base.start(client, app, [.reference("read"), Self.right(Self.readA)])
            let browser = AuthorizationCodeFlowTests.Browser(client)
            try await browser.signIn()
            _ = try await base.decide(browser, grant.interaction, [("decision", "approve_all")])
            let first = try await base.poll(client, app, grant.grantPath, grant.continuation)
            Self.expectDecidedByTheParentsGrant(try Forbid.access(first))
            let next = try #require(GNAPRotationSubjectTests.tokenValue((first.json["continue"] as? [String: Any])?["access_token"]))
            let patch = try GNAPTestSigner.body(GNAPGrantRequest(accessToken: .single(.init(access: [.reference("read")]))))
            let modified = try await GNAPEndpointTests.send(
                client,
                app,
                base.agent,
                method: .patch,
                path: grant.grantPath,
                body: patch,
                token: next
            )
            let access = try Forbid.access(modified)
            Self.expectDecidedByTheParentsGrant(access)
            // Rotating the modified token re-issues exactly the access it carries (RFC 9635 §6.1).
            let token = try #require(modified.json["access_token"] as? [String: Any])
            let manage = try #require(token["manage"] as? [String: Any])
            let manageToken: String = try #require(GNAPRotationSubjectTests.tokenValue(manage["access_token"]))
            let rotated = try await GNAPEndpointTests.send(
                client,
                app,
                base.agent,
                method: .post,
                path: try GNAPRotationSubjectTests.path(manage["uri"], app),
                body: nil,
                token: manageToken
            )
            #expect(try Forbid.access(rotated) == access)
        }
    }
}
