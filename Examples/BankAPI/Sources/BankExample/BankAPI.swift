import Cedar
public import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore
import NIOFoundationCompat
import TesseraProtocol
import TesseraResource
public import TesseraResourceHummingbird

/// An example open-banking resource server (seed 003): payment initiation (`initiate`, `status`,
/// `cancel`) and account information (`list_accounts`, `read_balances`, `read_transactions`),
/// each allowed only when the Cedar policies granted in the caller's Tessera access token — and
/// the bank's own policies — allow that exact request.
///
/// Tokens are checked by the SDK's ``OAuthResourceServer`` (signature with the AS keys, `iss`,
/// `aud` = the bank's resource identifier, `exp`, DPoP binding) in ``OAuthResourceMiddleware``;
/// each handler then asks ``GrantedPolicyEnforcer`` about the concrete request built from the call:
/// principal `BankA::User::"<PSU-ID header>"` (the payment service user, as in open-banking APIs),
/// action from the route, resource the creditor (`Creditor::"<creditor>"`) or
/// `BankA::"https://example.com/accounts"`, and context the payment (`instructedAmount.currency`,
/// `instructedAmount.amount` as a `decimal`, `remittanceInformationUnstructured`).
public struct BankAPI: Sendable {
    public struct Configuration: Sendable {
        /// The authorization server's issuer; tokens must carry it as `iss`.
        public var issuer: String
        /// The bank's resource identifier (RFC 8707): tokens must carry it in `aud`.
        public var resource: String
        /// The bank's own Cedar policies (both they and the token's grant must allow).
        public var ownPolicies: String?

        public init(issuer: String, resource: String, ownPolicies: String? = BankAPI.defaultOwnPolicies) {
            self.issuer = issuer
            self.resource = resource
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
    let resourceServer: OAuthResourceServer
    let enforcer: GrantedPolicyEnforcer
    let creditors: EntityStore

    /// - Parameters:
    ///   - configuration: the issuer and resource this bank trusts.
    ///   - creditors: the creditors the bank knows, as Cedar entity JSON; defaults to ``CreditorDirectory/example``.
    ///   - now: the clock, injected in tests.
    /// - Throws: when the creditors or the bank's own policies do not parse.
    public init(
        configuration: Configuration,
        creditors: String = CreditorDirectory.example,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.configuration = configuration
        self.resourceServer = OAuthResourceServer(
            configuration: .init(issuer: configuration.issuer, resource: configuration.resource),
            now: now
        )
        self.enforcer = try GrantedPolicyEnforcer(ownPolicies: configuration.ownPolicies, now: now)
        self.creditors = try EntityStore(json: creditors)
    }

    /// The routes: `POST /payments`, `POST /payments/status`, `POST /payments/cancel`,
    /// `GET /accounts`, `GET /accounts/balances`, `GET /accounts/transactions`, and the RFC 9728 metadata.
    public func router() -> Router<OAuthResourceContext> {
        let router = Router(context: OAuthResourceContext.self)
        router.addProtectedResourceMetadata(resourceServer)
        let api = router.group().add(middleware: OAuthResourceMiddleware(resourceServer))
        api.post("/payments") { request, context in await self.payment("initiate", request, context, created: true) }
        api.post("/payments/status") { request, context in await self.payment("status", request, context) }
        api.post("/payments/cancel") { request, context in await self.payment("cancel", request, context) }
        api.get("/accounts") { request, context in self.accounts("list_accounts", request, context) }
        api.get("/accounts/balances") { request, context in self.accounts("read_balances", request, context) }
        api.get("/accounts/transactions") { request, context in self.accounts("read_transactions", request, context) }
        return router
    }

    // MARK: - Handlers

    private func payment(_ action: String, _ request: Request, _ context: OAuthResourceContext, created: Bool = false) async -> Response {
        guard let token = context.accessToken else {
            return BankRefusal(status: .unauthorized, error: "invalid_token", description: "no verified token").response
        }
        guard let user = request.headers[.psuID], !user.isEmpty else {
            return BankRefusal(
                status: .badRequest,
                error: "invalid_request",
                description: "the PSU-ID header names the payment service user"
            ).response
        }
        let payment: PaymentRequest
        do {
            let body = try await request.body.collect(upTo: 16 * 1024)
            payment = try JSONDecoder().decode(PaymentRequest.self, from: Data(buffer: body))
        } catch {
            return BankRefusal(
                status: .badRequest,
                error: "invalid_request",
                description: "the body must be a payment: creditor, instructedAmount {currency, amount}, remittanceInformationUnstructured"
            ).response
        }
        guard creditors[EntityUID("Creditor", payment.creditor)] != nil else {
            return BankRefusal(status: .notFound, error: "unknown_creditor", description: "the bank does not know this creditor").response
        }
        guard let cedarRequest = payment.cedarRequest(user: user, action: action) else {
            return BankRefusal(
                status: .badRequest,
                error: "invalid_request",
                description: "instructedAmount.amount must be a decimal with at most four fraction digits"
            ).response
        }
        let decision = enforcer.authorize(cedarRequest, entities: creditors, token: token)
        if let refusal = decision.refusal(for: token, realm: "bank") { return Self.response(for: refusal) }
        let status = action == "cancel" ? "CANC" : "RCVD"
        var answer: [String: String] = [
            "transactionStatus": status, "creditor": payment.creditor, "amount": payment.instructedAmount.amount,
        ]
        if created { answer["paymentId"] = UUID().uuidString }
        return Self.json(answer, status: created ? .created : (action == "cancel" ? .accepted : .ok))
    }

    private func accounts(_ action: String, _ request: Request, _ context: OAuthResourceContext) -> Response {
        guard let token = context.accessToken else {
            return BankRefusal(status: .unauthorized, error: "invalid_token", description: "no verified token").response
        }
        guard let user = request.headers[.psuID], !user.isEmpty else {
            return BankRefusal(
                status: .badRequest,
                error: "invalid_request",
                description: "the PSU-ID header names the payment service user"
            ).response
        }
        let cedarRequest = AuthorizationRequest(
            principal: EntityUID("BankA::User", user),
            action: EntityUID("BankA::Action", action),
            resource: EntityUID("BankA", Self.accountsResource)
        )
        let decision = enforcer.authorize(cedarRequest, entities: creditors, token: token)
        if let refusal = decision.refusal(for: token, realm: "bank") { return Self.response(for: refusal) }
        return Self.json(["action": action, "accounts": "DE02100100109307118603"])
    }

    /// A 403 with the SDK's challenge and the reason also in a JSON body, for people reading it.
    static func response(for refusal: ResourceRefusal) -> Response {
        var response = BankRefusal(
            status: .forbidden,
            error: refusal.error?.code.rawValue ?? "insufficient_scope",
            description: refusal.error?.message ?? ""
        ).response
        response.headers[.wwwAuthenticate] = refusal.wwwAuthenticate.first
        return response
    }

    static func json(_ value: [String: String], status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

// A literal RFC 9110 §5.1 token: `HTTPField.Name.init?` cannot fail for it.
extension HTTPField.Name {
    /// The Berlin Group `PSU-ID` header naming the payment service user.
    // swift-format-ignore: NeverForceUnwrap
    fileprivate static let psuID = HTTPField.Name("PSU-ID")!
}
