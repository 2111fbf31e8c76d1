import Foundation

/// The examples of seed 003, draft-cecchetti-oauth-rar-cedar-02 (Figures 1–4), verbatim, plus the
/// bank schema and delegation policies the tests and the example bank API use.
///
/// The draft's JSON is not valid JSON as printed: each entry lacks the comma after
/// `"type": "…"`, and the `policySet` strings span lines (RFC 8259 §7 forbids raw control
/// characters in strings). ``json(_:)`` makes exactly those two repairs and nothing else.
public enum SeedFigures {
    /// Figure 1: a Cedar authorization request for a credit transfer (one entry).
    public static let figure1 = #"""
        {
           "type": "payment_initiation"
           "rarFormat": "cedar",
           "policySet": "
              permit (
                principal == BankA::User::\"696d28c8-8912-41d2-b182-aa7087323318\",
                action == BankA::Action::\"initiate\",
                resource == Creditor::\"https://example.com/payments\"
              ) when {
                context.instructedAmount.currency == \"EUR\" &&
                context.instructedAmount.amount == decimal(\"123.50\") &&
                resource.creditorName == \"Merchant A\" &&
                resource.creditorAccount.bic == \"ABCIDEFFXXX\" &&
                resource.creditorAccount.iban == \"DE02100100109307118603\" &&
                context.remittanceInformationUnstructured == \"Ref Number Merchant\"
              };
           "
        }
        """#

    /// Figure 2: `authorization_details` for a credit transfer (initiate, status, cancel).
    public static let figure2 = "[\n" + paymentInitiation(indent: 3) + "\n]"

    /// Figure 3: a combined request, account information and payment initiation.
    public static let figure3 = #"""
        [
           {
              "type": "account_information"
              "rarFormat": "cedar",
              "policySet": "
                 permit (
                   principal == BankA::User::\"696d28c8-8912-41d2-b182-aa7087323318\",
                   action in [BankA::Action::\"list_accounts\", BankA::Action::\"read_balances\", BankA::Action::\"read_transactions\"],
                   resource == BankA::\"https://example.com/accounts\"
                 );
              "
           },

        """# + paymentInitiation(indent: 3) + "\n]"

    /// Figure 4: the example token response (its `authorization_details` member).
    public static let figure4 = #"""
        {
           "access_token": "2YotnFZFEjr1zCsicMWpAA",
           "token_type": "example",
           "expires_in": 3600,
           "refresh_token": "tGzv3JOkF0XG5Qx2TlKWIA",
           "authorization_details": [

        """# + paymentInitiation(indent: 6) + "\n   ]\n}"

    /// The `payment_initiation` entry Figures 2–4 share (initiate, status and cancel), as printed with its lines
    /// indented by `indent` spaces.
    private static func paymentInitiation(indent: Int) -> String {
        let entry = #"""
            {
               "type": "payment_initiation"
               "rarFormat": "cedar",
               "policySet": "
                  permit (
                    principal == BankA::User::\"696d28c8-8912-41d2-b182-aa7087323318\",
                    action in [BankA::Action::\"initiate\", BankA::Action::\"status\", BankA::Action::\"cancel\"],
                    resource == Creditor::\"https://example.com/payments\"
                  ) when {
                    context.instructedAmount.currency == \"EUR\" &&
                    context.instructedAmount.amount == decimal(\"123.50\") &&
                    resource.creditorName == \"Merchant A\" &&
                    resource.creditorAccount.iban == \"DE02100100109307118603\" &&
                    context.remittanceInformationUnstructured == \"Ref Number Merchant\"
                  };
               "
            }
            """#
        let margin = String(repeating: " ", count: indent)
        return entry.split(separator: "\n").map { margin + $0 }.joined(separator: "\n")
    }

    /// The user every figure names.
    public static let user = "696d28c8-8912-41d2-b182-aa7087323318"

    /// A figure made valid JSON: the missing comma after each `"type": "…"` line added, and line
    /// breaks inside strings escaped. Returns compact JSON text.
    public static func json(_ figure: String) -> String {
        var out = ""
        var inString = false
        var escaped = false
        var lastStringLine = ""
        var line = ""
        for character in figure {
            if character != "\n" { line.append(character) }
            if inString {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                } else if character == "\n" {
                    out += "\\n"
                    continue
                }
                out.append(character)
                continue
            }
            if character == "\"" { inString = true }
            if character == "\n" {
                lastStringLine = line
                line = ""
                // `"type": "…"` followed by another member on the next line: the draft's missing comma.
                let trimmed = lastStringLine.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("\"type\":"), trimmed.hasSuffix("\"") { out += "," }
            }
            out.append(character)
        }
        return out
    }

    /// The policy set text of a figure's entry `index` (after ``json(_:)``).
    public static func policySet(_ figure: String, entry index: Int = 0) throws -> String {
        let value = try JSONSerialization.jsonObject(with: Data(json(figure).utf8))
        let entries: [[String: Any]]
        if let list = value as? [[String: Any]] {
            entries = list
        } else if let object = value as? [String: Any] {
            entries = (object["authorization_details"] as? [[String: Any]]) ?? [object]
        } else {
            entries = []
        }
        guard index < entries.count, let text = entries[index]["policySet"] as? String else {
            throw CocoaError(.coderValueNotFound)
        }
        return text
    }

    /// A schema for the figures' entities and actions (Cedar schema syntax).
    public static let bankSchema = """
        entity BankA;
        entity Creditor = {
          creditorName: String,
          creditorAccount: { bic: String, iban: String },
        };
        namespace BankA {
          entity User;
          type Amount = { currency: String, amount: decimal };
          type PaymentContext = { instructedAmount: Amount, remittanceInformationUnstructured: String };
          action initiate, status, cancel appliesTo { principal: User, resource: Creditor, context: PaymentContext };
          action list_accounts, read_balances, read_transactions appliesTo { principal: User, resource: BankA };
        }
        """

    /// ``bankSchema`` with a required `now: datetime` in every action's context, as a type with
    /// `valid_for` needs (the granted permits test `context.now`; docs/rar-cedar.md).
    public static let bankSchemaDeclaringNow =
        bankSchema
        .replacingOccurrences(
            of: "remittanceInformationUnstructured: String }",
            with: "remittanceInformationUnstructured: String, now: datetime }"
        )
        .replacingOccurrences(of: "resource: BankA };", with: "resource: BankA, context: { now: datetime } };")

    /// The AS's delegation policies in the tests: `client` may be delegated payment initiation and
    /// status on any creditor (never cancel), and listing accounts and balances (never transactions).
    public static func delegationPolicies(client: String) -> String {
        """
        permit (
          principal == Tessera::Client::"\(client)",
          action in [BankA::Action::"initiate", BankA::Action::"status"],
          resource is Creditor
        );
        permit (
          principal == Tessera::Client::"\(client)",
          action in [BankA::Action::"list_accounts", BankA::Action::"read_balances"],
          resource == BankA::"https://example.com/accounts"
        ) when { context.resourceIsExact };
        """
    }
}
