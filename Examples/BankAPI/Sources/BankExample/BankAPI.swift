import Cedar
public import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore
import NIOFoundationCompat
public import TesseraProtocol
import TesseraResource

/// An example open-banking resource server (seed 003): payment initiation (`initiate`, `status`,
/// `cancel`) and account information (`list_accounts`, `read_balances`, `read_transactions`),
/// each allowed only when the Cedar policies granted in the caller's Tessera access token — and
/// the bank's own policies — allow that exact request.
///
/// The Cedar request is built from the HTTP call: principal `BankA::User::"<PSU-ID header>"` (the
/// payment service user, as in open-banking APIs), action from the route, resource the creditor
/// (`Creditor::"<creditor>"`) or `BankA::"https://example.com/accounts"`, and context the payment
/// (`instructedAmount.currency`, `instructedAmount.amount` as a `decimal`,
/// `remittanceInformationUnstructured`).
public struct BankAPI: Sendable {
    public struct Configuration: Sendable {
        /// The authorization server's issuer; tokens must carry it as `iss`.
        public var issuer: String
        /// The audience tokens must carry (`aud`), when set.
        public var audience: String?
        /// The bank's own Cedar policies (both they and the token's grant must allow).
        public var ownPolicies: String?

        public init(issuer: String, audience: String? = nil, ownPolicies: String? = BankAPI.defaultOwnPolicies) {
            self.issuer = issuer
            self.audience = audience
            self.ownPolicies = ownPolicies
        }
    }

    /// The bank's own rules: anything the grant allows, except payments above 10,000.
    public static let defaultOwnPolicies = """
        permit (principal, action, resource);
        forbid (principal, action == BankA::Action::"initiate", resource)
        when { context.instructedAmount.amount.greaterThan(decimal("10000.0")) };
        """

    /// The accounts resource.
    public static let accountsResource = "https://example.com/accounts"

    let configuration: Configuration
    let tokens: BearerTokenVerifier
    let enforcer: GrantedPolicyEnforcer
    let creditors: EntityStore

    /// - Parameters:
    ///   - keys: the AS's JWK Set (see ``BearerTokenVerifier/fetchKeys(issuer:)``).
    ///   - creditors: the creditors the bank knows, as Cedar entity JSON; defaults to ``CreditorDirectory/example``.
    public init(configuration: Configuration, keys: PublicJWKSet, creditors: String = CreditorDirectory.example, now: @escaping @Sendable () -> Date = { Date() })
        async throws
    {
        self.configuration = configuration
        self.tokens = try await BearerTokenVerifier(issuer: configuration.issuer, audience: configuration.audience, keys: keys, now: now)
        self.enforcer = try GrantedPolicyEnforcer(ownPolicies: configuration.ownPolicies, now: now)
        self.creditors = try EntityStore(json: creditors)
    }

    /// The routes: `POST /payments`, `POST /payments/status`, `POST /payments/cancel`,
    /// `GET /accounts`, `GET /accounts/balances`, `GET /accounts/transactions`.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("/payments") { request, context in await self.payment("initiate", request, context, created: true) }
        router.post("/payments/status") { request, context in await self.payment("status", request, context) }
        router.post("/payments/cancel") { request, context in await self.payment("cancel", request, context) }
        router.get("/accounts") { request, _ in self.accounts("list_accounts", request) }
        router.get("/accounts/balances") { request, _ in self.accounts("read_balances", request) }
        router.get("/accounts/transactions") { request, _ in self.accounts("read_transactions", request) }
        return router
    }

    // MARK: - Handlers

    private func payment(_ action: String, _ request: Request, _ context: BasicRequestContext, created: Bool = false) async -> Response {
        let token: VerifiedToken
        switch tokens.verify(authorization: request.headers[.authorization]) {
        case .success(let t): token = t
        case .failure(let refusal): return refusal.response
        }
        guard let user = request.headers[HTTPField.Name("PSU-ID")!], !user.isEmpty else {
            return BankRefusal(status: .badRequest, error: "invalid_request", description: "the PSU-ID header names the payment service user").response
        }
        let payment: PaymentRequest
        do {
            let body = try await request.body.collect(upTo: 16 * 1024)
            payment = try JSONDecoder().decode(PaymentRequest.self, from: Data(buffer: body))
        } catch {
            return BankRefusal(status: .badRequest, error: "invalid_request", description: "the body must be a payment: creditor, instructedAmount {currency, amount}, remittanceInformationUnstructured").response
        }
        guard creditors[EntityUID("Creditor", payment.creditor)] != nil else {
            return BankRefusal(status: .notFound, error: "unknown_creditor", description: "the bank does not know this creditor").response
        }
        guard let cedarRequest = payment.cedarRequest(user: user, action: action) else {
            return BankRefusal(status: .badRequest, error: "invalid_request", description: "instructedAmount.amount must be a decimal with at most four fraction digits").response
        }
        let decision = enforcer.authorize(cedarRequest, entities: creditors, grant: token.grant)
        guard decision.isAllowed else { return BankRefusal.insufficient(decision.reason ?? "not allowed").response }
        let status = action == "cancel" ? "CANC" : "RCVD"
        var answer: [String: String] = ["transactionStatus": status, "creditor": payment.creditor, "amount": payment.instructedAmount.amount]
        if created { answer["paymentId"] = UUID().uuidString }
        return Self.json(answer, status: created ? .created : (action == "cancel" ? .accepted : .ok))
    }

    private func accounts(_ action: String, _ request: Request) -> Response {
        let token: VerifiedToken
        switch tokens.verify(authorization: request.headers[.authorization]) {
        case .success(let t): token = t
        case .failure(let refusal): return refusal.response
        }
        guard let user = request.headers[HTTPField.Name("PSU-ID")!], !user.isEmpty else {
            return BankRefusal(status: .badRequest, error: "invalid_request", description: "the PSU-ID header names the payment service user").response
        }
        let cedarRequest = AuthorizationRequest(
            principal: EntityUID("BankA::User", user),
            action: EntityUID("BankA::Action", action),
            resource: EntityUID("BankA", Self.accountsResource)
        )
        let decision = enforcer.authorize(cedarRequest, entities: creditors, grant: token.grant)
        guard decision.isAllowed else { return BankRefusal.insufficient(decision.reason ?? "not allowed").response }
        return Self.json(["action": action, "accounts": "DE02100100109307118603"])
    }

    static func json(_ value: [String: String], status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
