public import Cedar
public import Foundation
public import TesseraServer

/// Concrete requests against the seed's bank (``SeedFigures``): the creditors the RS knows and
/// payment or account requests with chosen amount, currency, creditor and action.
public enum BankFixtures {
    public static let payments = "https://example.com/payments"
    public static let otherCreditor = "https://example.com/other-merchant"
    public static let accounts = "https://example.com/accounts"

    /// The creditors (Merchant A at the figures' address, Merchant B elsewhere) and the accounts resource.
    public static func entities() throws -> EntityStore {
        try EntityStore(
            json: """
                [
                  {"uid": {"type": "Creditor", "id": "\(payments)"}, "parents": [],
                   "attrs": {"creditorName": "Merchant A", "creditorAccount": {"bic": "ABCIDEFFXXX", "iban": "DE02100100109307118603"}}},
                  {"uid": {"type": "Creditor", "id": "\(otherCreditor)"}, "parents": [],
                   "attrs": {"creditorName": "Merchant B", "creditorAccount": {"bic": "ABCIDEFFXXX", "iban": "DE89370400440532013000"}}},
                  {"uid": {"type": "BankA", "id": "\(accounts)"}, "parents": [], "attrs": {}}
                ]
                """
        )
    }

    /// A payment request (`initiate`, `status`, `cancel`) by `user` to `creditor`.
    public static func payment(
        action: String = "initiate",
        amount: String = "123.50",
        currency: String = "EUR",
        creditor: String = payments,
        remittance: String = "Ref Number Merchant",
        user: String = SeedFigures.user
    ) throws -> AuthorizationRequest {
        try AuthorizationRequest(
            json: """
                {"principal": {"type": "BankA::User", "id": \(quoted(user))},
                 "action": {"type": "BankA::Action", "id": \(quoted(action))},
                 "resource": {"type": "Creditor", "id": \(quoted(creditor))},
                 "context": {"instructedAmount": {"currency": \(quoted(currency)), "amount": {"__extn": {"fn": "decimal", "arg": \(quoted(amount))}}},
                             "remittanceInformationUnstructured": \(quoted(remittance))}}
                """
        )
    }

    /// An account-information request (`list_accounts`, `read_balances`, `read_transactions`).
    public static func accountRequest(action: String, user: String = SeedFigures.user) throws -> AuthorizationRequest {
        AuthorizationRequest(
            principal: EntityUID("BankA::User", user),
            action: EntityUID("BankA::Action", action),
            resource: EntityUID("BankA", accounts)
        )
    }

    /// Whether `policySet` allows `request` (with `now` as `context.now`).
    public static func allows(_ policySet: String, _ request: AuthorizationRequest, now: Date? = nil) throws -> Bool {
        var request = request
        if let now { request.context["now"] = .extensionValue(.datetime(Int64(now.timeIntervalSince1970 * 1000))) }
        let answer = Authorizer(policies: try PolicySet(parsing: policySet)).isAuthorized(request, entities: try entities())
        return answer.decision == .allow
    }

    /// A JSON string literal (encoding a String cannot fail; the fallback keeps this crash-free).
    private static func quoted(_ s: String) -> String {
        (try? JSONEncoder().encode(s)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}

extension BankFixtures {
    /// The AS's `authorization_details_types` for the seed's bank: `payment_initiation` and
    /// `account_information` as Cedar types with the bank schema and ``SeedFigures/delegationPolicies(client:)``,
    /// plus a plain `customer_information` type. With `validFor` the schema declares `context.now`
    /// (``SeedFigures/bankSchemaDeclaringNow``), as the AS requires.
    public static func detailTypes(
        client: String = "service-a",
        conditions: [String] = [],
        validFor: Double? = nil
    ) -> [AuthorizationDetailsTypeDefinition] {
        let cedar = AuthorizationDetailsTypeDefinition.Cedar(
            schema: validFor == nil ? SeedFigures.bankSchema : SeedFigures.bankSchemaDeclaringNow,
            policies: SeedFigures.delegationPolicies(client: client),
            conditions: conditions,
            validFor: validFor
        )
        return [
            AuthorizationDetailsTypeDefinition(type: "payment_initiation", cedar: cedar),
            AuthorizationDetailsTypeDefinition(type: "account_information", cedar: cedar),
            AuthorizationDetailsTypeDefinition(type: "customer_information", requiredMembers: ["actions"], allowedMembers: ["locations"]),
        ]
    }
}
