import Cedar
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// RFC 9396 with the Cedar profile over real HTTP: token endpoint, refresh, introspection, metadata.
@Suite struct RichAuthorizationTests {
    let basic = TestClients.basicAuthorization()

    func withApp(
        conditions: [String] = [],
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let app = try await TestServer.build(now: { Fixtures.epoch }) { configuration in
            configuration.authorizationDetailsTypes = BankFixtures.detailTypes(conditions: conditions)
        }
        try await app.application.test(.live) { client in try await body(client) }
    }

    static func call(
        _ client: any TestClientProtocol,
        _ path: String,
        _ body: [(String, String)],
        auth: String
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        let encoded = FormParameters(body).encoded
        return try await client.execute(
            uri: path,
            method: .post,
            headers: HTTPHelpers.form(authorization: auth),
            body: ByteBuffer(string: encoded)
        ) { response in
            (response.status, response.body.readableBytes == 0 ? [:] : try HTTPHelpers.json(response.body))
        }
    }

    static func policySet(_ details: Any?, _ index: Int = 0) -> String? {
        ((details as? [[String: Any]])?[index])?["policySet"] as? String
    }

    @Test func figure2IsGrantedNarrowedAndEchoedEverywhere() async throws {
        let basic = basic
        try await withApp(conditions: [#"context.instructedAmount.amount.lessThanOrEqual(decimal("1000.00"))"#]) { client in
            let details = SeedFigures.json(SeedFigures.figure2)
            let (status, body) = try await Self.call(
                client,
                "/token",
                [("grant_type", "client_credentials"), ("authorization_details", details)],
                auth: basic
            )
            #expect(status == .ok, "\(body)")
            let granted = try #require(Self.policySet(body["authorization_details"]))
            #expect(!granted.contains("cancel"))
            #expect(granted.contains(#"context.instructedAmount.amount.lessThanOrEqual(decimal("1000.00"))"#))
            let entry = try #require((body["authorization_details"] as? [[String: Any]])?.first)
            #expect(entry["type"] as? String == "payment_initiation")
            #expect(entry["rarFormat"] as? String == "cedar")
            #expect(try BankFixtures.allows(granted, BankFixtures.payment()))
            #expect(try !BankFixtures.allows(granted, BankFixtures.payment(action: "cancel")))

            // The JWT carries exactly the granted details (RFC 9396 §9.1).
            let token = try #require(body["access_token"] as? String)
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: token).payload)
            let claimed = try #require(claims.authorizationDetails?.first)
            guard case .object(let members) = claimed else { throw CocoaError(.coderValueNotFound) }
            #expect(members["policySet"]?.stringValue == granted)

            // Introspection reads them from the verified token (RFC 9396 §9.2).
            let (_, introspected) = try await Self.call(client, "/introspect", [("token", token)], auth: basic)
            #expect(introspected["active"] as? Bool == true)
            #expect(Self.policySet(introspected["authorization_details"]) == granted)

            // A refresh without details carries the grant's; a narrower one is allowed; a wider one is not.
            let refresh = try #require(body["refresh_token"] as? String)
            let (status2, refreshed) = try await Self.call(
                client,
                "/token",
                [("grant_type", "refresh_token"), ("refresh_token", refresh)],
                auth: basic
            )
            #expect(status2 == .ok, "\(refreshed)")
            #expect(Self.policySet(refreshed["authorization_details"]) == granted)

            let refresh2 = try #require(refreshed["refresh_token"] as? String)
            let (status3, widened) = try await Self.call(
                client,
                "/token",
                [("grant_type", "refresh_token"), ("refresh_token", refresh2), ("authorization_details", details)],
                auth: basic
            )
            #expect(status3 == .badRequest)
            #expect(widened["error"] as? String == "invalid_authorization_details")
            #expect(
                widened["error_description"] as? String
                    == "authorization_details[0]: asks for policies the grant does not hold (a derived token may only narrow its parent)"
            )
        }
    }

    @Test func figure3CombinedRequest() async throws {
        let basic = basic
        try await withApp { client in
            let (status, body) = try await Self.call(
                client,
                "/token",
                [("grant_type", "client_credentials"), ("authorization_details", SeedFigures.json(SeedFigures.figure3))],
                auth: basic
            )
            #expect(status == .ok, "\(body)")
            let accounts = try #require(Self.policySet(body["authorization_details"], 0))
            let payments = try #require(Self.policySet(body["authorization_details"], 1))
            #expect(try BankFixtures.allows(accounts, BankFixtures.accountRequest(action: "read_balances")))
            #expect(try !BankFixtures.allows(accounts, BankFixtures.accountRequest(action: "read_transactions")))
            #expect(try BankFixtures.allows(payments, BankFixtures.payment(action: "status")))
        }
    }

    /// `valid_for` adds `context.now` to every granted permit: the server refuses to start with a
    /// type schema that does not declare it (resource servers validating the granted set against
    /// the schema would fail), and with one that does, the granted set validates against it.
    @Test func validForNeedsTheSchemaToDeclareNowAndTheGrantedSetValidates() async throws {
        let refused = await #expect(throws: ConfigurationError.self) {
            _ = try await TestServer.build(now: { Fixtures.epoch }) { configuration in
                var types = BankFixtures.detailTypes(validFor: 600)
                types[0].cedar?.schema = SeedFigures.bankSchema
                configuration.authorizationDetailsTypes = types
            }
        }
        #expect(refused?.field == "authorization_details_types[0].cedar.valid_for", "\(String(describing: refused))")

        let app = try await TestServer.build(now: { Fixtures.epoch }) { configuration in
            configuration.authorizationDetailsTypes = BankFixtures.detailTypes(validFor: 600)
        }
        let basic = basic
        try await app.application.test(.router) { client in
            let (status, body) = try await Self.call(
                client,
                "/token",
                [("grant_type", "client_credentials"), ("authorization_details", SeedFigures.json(SeedFigures.figure2))],
                auth: basic
            )
            #expect(status == .ok, "\(body)")
            let granted = try #require(Self.policySet(body["authorization_details"]))
            #expect(granted.contains("context.now < datetime("))
            let report = Validator(schema: try Schema(text: SeedFigures.bankSchemaDeclaringNow), mode: .strict).validate(
                try PolicySet(parsing: granted)
            )
            #expect(report.errors.isEmpty, "\(report.errors)")
        }
    }

    /// `action in [A]` — a list of one, the form docs/rar-cedar.md names — is a list of actions to
    /// delegate; `action in A` may name an action group and stays refused.
    @Test func aOneElementActionListIsDelegable() async throws {
        let basic = basic
        try await withApp { client in
            func ask(_ action: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                let policy = #"permit (principal, \#(action), resource == Creditor::"\#(BankFixtures.payments)");"#
                let details = String(
                    decoding: try JSONSerialization.data(withJSONObject: [
                        ["type": "payment_initiation", "rarFormat": "cedar", "policySet": policy]
                    ]),
                    as: UTF8.self
                )
                return try await Self.call(
                    client,
                    "/token",
                    [("grant_type", "client_credentials"), ("authorization_details", details)],
                    auth: basic
                )
            }
            let (status, body) = try await ask(#"action in [BankA::Action::"initiate"]"#)
            #expect(status == .ok, "\(body)")
            let granted = try #require(Self.policySet(body["authorization_details"]))
            #expect(try BankFixtures.allows(granted, BankFixtures.payment()))
            #expect(try !BankFixtures.allows(granted, BankFixtures.payment(action: "status")))

            let (groupStatus, group) = try await ask(#"action in BankA::Action::"initiate""#)
            #expect(groupStatus == .badRequest)
            #expect(group["error"] as? String == "invalid_authorization_details")
        }
    }

    /// docs/rar-cedar.md "Request size": a body over 64 KiB is `invalid_request`, refused before
    /// the details are read; one just under is read (and judged on its details).
    @Test func aBodyOver64KiBIsInvalidRequest() async throws {
        let basic = basic
        try await withApp { client in
            let overhead = "grant_type=client_credentials&authorization_details=".utf8.count
            for (size, code) in [
                (FormParameters.maximumBodySize + 1, "invalid_request"), (FormParameters.maximumBodySize, "invalid_authorization_details"),
            ] {
                let padding = String(repeating: "a", count: size - overhead)
                let (status, body) = try await Self.call(
                    client,
                    "/token",
                    [("grant_type", "client_credentials"), ("authorization_details", padding)],
                    auth: basic
                )
                #expect(status == .badRequest)
                #expect(body["error"] as? String == code, "\(size) bytes: \(body)")
            }
        }
    }

    @Test func malformedDetailsAreRefusedWithPreciseDescriptions() async throws {
        let basic = basic
        let bad =
            #"[{"type": "payment_initiation", "rarFormat": "cedar", "policySet": "permit (\n  principal,\n  action == BankA::Action::\"initiate\"\n  resource\n);"}]"#
        try await withApp { client in
            let cases: [(String, String)] = [
                ("[", "authorization_details is not valid JSON"),
                (#"[{"type": "wire_transfer"}]"#, "authorization_details[0]: unknown type 'wire_transfer'"),
                (
                    #"[{"type": "customer_information"}]"#,
                    "authorization_details[0]: missing required member 'actions' for type 'customer_information'"
                ),
                (
                    #"[{"type": "payment_initiation", "actions": ["x"]}]"#,
                    #"authorization_details[0]: type 'payment_initiation' requires "rarFormat": "cedar" with a policySet"#
                ),
                (bad, "authorization_details[0].policySet has a Cedar syntax error at line 4, column 3"),
            ]
            for (details, message) in cases {
                let (status, body) = try await Self.call(
                    client,
                    "/token",
                    [("grant_type", "client_credentials"), ("authorization_details", details)],
                    auth: basic
                )
                #expect(status == .badRequest)
                #expect(body["error"] as? String == "invalid_authorization_details")
                #expect((body["error_description"] as? String)?.hasPrefix(message) == true, "\(body)")
            }
            // The draft's figure as printed (missing comma, raw line breaks) is not JSON: refused, not guessed at.
            let (status, body) = try await Self.call(
                client,
                "/token",
                [("grant_type", "client_credentials"), ("authorization_details", SeedFigures.figure2)],
                auth: basic
            )
            #expect(status == .badRequest)
            #expect(body["error_description"] as? String == "authorization_details is not valid JSON")
        }
    }

    @Test func metadataAdvertisesTheTypes() async throws {
        try await withApp { client in
            try await client.execute(uri: "/.well-known/oauth-authorization-server", method: .get) { response in
                let body = try HTTPHelpers.json(response.body)
                #expect(
                    body["authorization_details_types_supported"] as? [String] == [
                        "account_information", "customer_information", "payment_initiation",
                    ]
                )
            }
        }
    }

    @Test func metadataOmitsTypesWhenNoneAreConfigured() async throws {
        let app = try await TestServer.build(now: { Fixtures.epoch })
        try await app.application.test(.router) { client in
            try await client.execute(uri: "/.well-known/oauth-authorization-server", method: .get) { response in
                let body = try HTTPHelpers.json(response.body)
                #expect(body["authorization_details_types_supported"] == nil)
            }
        }
    }

    @Test func configurationFileDeclaresTypes() throws {
        let yaml = """
            authorization_details_types:
              - type: payment_initiation
                cedar:
                  policies: 'permit (principal == Tessera::Client::"a", action == BankA::Action::"initiate", resource);'
                  pin_principal: BankA::User
                  conditions: ['context.instructedAmount.amount.lessThanOrEqual(decimal("10.00"))']
                  valid_for: 600
              - type: customer_information
                required_members: [actions]
            """
        let configuration = try ConfigurationLoader.load(file: yaml, environment: [:])
        #expect(configuration.authorizationDetailsTypes.count == 2)
        let type = try configuration.authorizationDetailsTypes[0].resolved(field: "authorization_details_types[0]")
        #expect(type.cedar?.validFor == 600)
        let missing = AuthorizationDetailsTypeDefinition(type: "x", cedar: .init(schema: "entity A;"))
        let noPolicies = #expect(throws: ConfigurationError.self) { try missing.resolved(field: "authorization_details_types[0]") }
        #expect(noPolicies?.field == "authorization_details_types[0].cedar.policy_file")
        let unreadable = AuthorizationDetailsTypeDefinition(type: "x", cedar: .init(policyFile: "/nonexistent/delegation.cedar"))
        let unread = #expect(throws: ConfigurationError.self) { try unreadable.resolved(field: "authorization_details_types[0]") }
        #expect(unread?.field == "authorization_details_types[0].cedar.policy_file")
    }
}
