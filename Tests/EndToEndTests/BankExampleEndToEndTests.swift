import AsyncHTTPClient
import BankExample
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TesseraProtocol
import TesseraTesting
import Testing

/// The seed's scenario end to end over real HTTP: the real `tessera` binary (configured as in
/// Examples/BankAPI) grants narrowed Cedar policy sets; the example bank API enforces them.
@Suite(.serialized) struct BankExampleEndToEndTests {
    static let user = SeedFigures.user
    static let basic = "Basic " + Data("fintech:fintech-secret-fintech-secret-0123456789".utf8).base64EncodedString()

    /// The example's configuration with absolute paths, in a temporary folder.
    static func configFile() throws -> String {
        let example = TesseraProcess.repositoryRoot.appendingPathComponent("Examples/BankAPI").path
        let yaml = try String(contentsOfFile: example + "/tessera.yaml", encoding: .utf8)
            .replacingOccurrences(of: "Examples/BankAPI/", with: example + "/")
            .replacingOccurrences(of: "port: 8080\n", with: "")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bank-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("tessera.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let resource = "https://bank.example"

    static func token(_ tessera: TesseraProcess, details: String) async throws -> String {
        let form = FormParameters([("grant_type", "client_credentials"), ("authorization_details", details), ("resource", resource)])
            .encoded
        let (status, body) = try await Web.post(tessera.baseURL + "/token", form: form, basic: basic)
        guard status == 200, let token = body["access_token"] as? String else {
            throw TesseraProcess.Failure(description: "token: \(status) \(body)")
        }
        return token
    }

    static func payment(amount: String = "123.50", currency: String = "EUR", creditor: String = BankFixtures.payments) -> ByteBuffer {
        ByteBuffer(
            string: """
                {"creditor": "\(creditor)", "instructedAmount": {"currency": "\(currency)", "amount": "\(amount)"},
                 "remittanceInformationUnstructured": "Ref Number Merchant"}
                """
        )
    }

    @Test func paymentsAreAllowedExactlyAsGranted() async throws {
        let tessera = try await TesseraProcess(["--config", try Self.configFile()])
        defer { Task { try? await tessera.stop() } }
        let figure2 = try String(
            contentsOf: TesseraProcess.repositoryRoot.appendingPathComponent("Examples/BankAPI/figure2.json"),
            encoding: .utf8
        )
        let paymentToken = try await Self.token(tessera, details: figure2)
        let combinedToken = try await Self.token(tessera, details: SeedFigures.json(SeedFigures.figure3))

        let api = try BankAPI(configuration: .init(issuer: tessera.baseURL, resource: Self.resource))
        let app = Application(router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            func call(
                _ method: HTTPRequest.Method,
                _ path: String,
                token: String?,
                user: String = Self.user,
                body: ByteBuffer? = nil
            ) async throws
                -> (HTTPResponse.Status, String, String?)
            {
                var headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("PSU-ID")!: user]
                if let token { headers[.authorization] = "Bearer \(token)" }
                return try await client.execute(uri: path, method: method, headers: headers, body: body) { response in
                    (response.status, String(buffer: response.body), response.headers[.wwwAuthenticate])
                }
            }
            // Granted: initiate and status for exactly this payment.
            let (created, createdBody, _) = try await call(.post, "/payments", token: paymentToken, body: Self.payment())
            #expect(created == .created, "\(createdBody)")
            #expect(try await call(.post, "/payments/status", token: paymentToken, body: Self.payment()).0 == .ok)

            // Refused: another amount, currency, creditor, user; cancel (the AS narrowed it away); accounts (not asked).
            let refusals: [(HTTPRequest.Method, String, String, ByteBuffer?)] = [
                (.post, "/payments", Self.user, Self.payment(amount: "124.00")),
                (.post, "/payments", Self.user, Self.payment(currency: "USD")),
                (.post, "/payments", Self.user, Self.payment(creditor: BankFixtures.otherCreditor)),
                (.post, "/payments", "mallory", Self.payment()),
                (.post, "/payments/cancel", Self.user, Self.payment()),
                (.get, "/accounts/balances", Self.user, nil),
            ]
            for (method, path, user, body) in refusals {
                let (status, text, challenge) = try await call(method, path, token: paymentToken, user: user, body: body)
                #expect(status == .forbidden, "\(path): \(text)")
                #expect(text.contains("insufficient_scope"))
                #expect(challenge?.hasPrefix(#"Bearer realm="bank", error="insufficient_scope", error_description=""#) == true)
            }
            let (_, why, _) = try await call(.post, "/payments", token: paymentToken, body: Self.payment(amount: "124.00"))
            #expect(why.contains("no granted policy permits this request"), "\(why)")

            // Figure 3: accounts and balances granted, transactions narrowed away.
            #expect(try await call(.get, "/accounts", token: combinedToken).0 == .ok)
            #expect(try await call(.get, "/accounts/balances", token: combinedToken).0 == .ok)
            #expect(try await call(.get, "/accounts/transactions", token: combinedToken).0 == .forbidden)

            // No token, a tampered one, or one for another resource: 401.
            #expect(try await call(.post, "/payments", token: nil, body: Self.payment()).0 == .unauthorized)
            #expect(try await call(.post, "/payments", token: paymentToken + "x", body: Self.payment()).0 == .unauthorized)
            let form = FormParameters([("grant_type", "client_credentials"), ("authorization_details", figure2)]).encoded
            let (_, other) = try await Web.post(tessera.baseURL + "/token", form: form, basic: Self.basic)
            let elsewhere = try #require(other["access_token"] as? String)
            #expect(try await call(.post, "/payments", token: elsewhere, body: Self.payment()).0 == .unauthorized)
        }
        try await tessera.stop()
    }

    @Test func theASBoundsWhatTheClientAsked() async throws {
        // The client asks for any EUR payment to Merchant A; the AS adds `amount <= 1000.00`.
        let tessera = try await TesseraProcess(["--config", try Self.configFile()])
        let policy = """
            permit (principal == BankA::User::"\(Self.user)", action == BankA::Action::"initiate", resource == Creditor::"\(BankFixtures.payments)")
            when { context.instructedAmount.currency == "EUR" };
            """
        let details = String(
            decoding: try JSONSerialization.data(withJSONObject: [
                ["type": "payment_initiation", "rarFormat": "cedar", "policySet": policy]
            ]),
            as: UTF8.self
        )
        let token = try await Self.token(tessera, details: details)
        let api = try BankAPI(configuration: .init(issuer: tessera.baseURL, resource: Self.resource))
        let app = Application(router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            func pay(_ amount: String) async throws -> HTTPResponse.Status {
                let headers: HTTPFields = [
                    .contentType: "application/json", .authorization: "Bearer \(token)", HTTPField.Name("PSU-ID")!: Self.user,
                ]
                return try await client.execute(uri: "/payments", method: .post, headers: headers, body: Self.payment(amount: amount)) {
                    $0.status
                }
            }
            let first = try await pay("999.99")
            #expect(first == .created)
            #expect(try await pay("1000.00") == .created)
            #expect(try await pay("1000.01") == .forbidden)
            #expect(try await pay("12.5") == .created)
            #expect(try await pay("abc") == .badRequest)
        }
        try await tessera.stop()
    }
}
