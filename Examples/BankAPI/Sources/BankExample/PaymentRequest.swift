import Cedar
import Foundation

/// A payment as the client sends it (the fields of the seed's Figure 1).
struct PaymentRequest: Decodable, Sendable {
    struct Amount: Decodable, Sendable {
        var currency: String
        var amount: String
    }
    var creditor: String
    var instructedAmount: Amount
    var remittanceInformationUnstructured: String

    /// The Cedar request for `action` by `user`; `nil` when the amount is not a decimal.
    func cedarRequest(user: String, action: String) -> AuthorizationRequest? {
        guard Self.isDecimal(instructedAmount.amount) else { return nil }
        let request: [String: Any] = [
            "principal": ["type": "BankA::User", "id": user],
            "action": ["type": "BankA::Action", "id": action],
            "resource": ["type": "Creditor", "id": creditor],
            "context": [
                "instructedAmount": [
                    "currency": instructedAmount.currency,
                    "amount": ["__extn": ["fn": "decimal", "arg": instructedAmount.amount]],
                ],
                "remittanceInformationUnstructured": remittanceInformationUnstructured,
            ],
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: request) else { return nil }
        return try? AuthorizationRequest(json: String(decoding: data, as: UTF8.self))
    }

    /// Cedar's decimal literal shape: digits, a point, one to four digits (an optional leading `-`).
    static func isDecimal(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 15, (1...4).contains(parts[1].count) else { return false }
        let whole = parts[0].hasPrefix("-") ? parts[0].dropFirst() : parts[0][...]
        return !whole.isEmpty && whole.allSatisfy(\.isASCII) && whole.allSatisfy(\.isNumber) && parts[1].allSatisfy(\.isASCII)
            && parts[1].allSatisfy(\.isNumber)
    }
}

/// The creditors the example bank knows.
public enum CreditorDirectory {
    /// Merchant A (the seed's creditor) and Merchant B.
    public static let example = """
        [
          {"uid": {"type": "Creditor", "id": "https://example.com/payments"}, "parents": [],
           "attrs": {"creditorName": "Merchant A", "creditorAccount": {"bic": "ABCIDEFFXXX", "iban": "DE02100100109307118603"}}},
          {"uid": {"type": "Creditor", "id": "https://example.com/other-merchant"}, "parents": [],
           "attrs": {"creditorName": "Merchant B", "creditorAccount": {"bic": "ABCIDEFFXXX", "iban": "DE89370400440532013000"}}},
          {"uid": {"type": "BankA", "id": "https://example.com/accounts"}, "parents": [], "attrs": {}}
        ]
        """
}
