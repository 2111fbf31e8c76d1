import Cedar
import Foundation
import TesseraProtocol
import TesseraStorage

/// The Cedar `context` of a token request for a client challenge (documented in
/// docs/client-challenge.md), in the one vocabulary's words (`Challenge`, docs/policy.md).
enum ChallengeContext {
    /// The one vocabulary's name of each member of `client_challenges.policy`'s old vocabulary
    /// (``PolicyTranslation``; `scopes` keeps its name and becomes a set of `Scope` entities).
    static let names: [CedarString: CedarString] = [
        "grant_type": "grantType", "resources": "audiences", "client_age_seconds": "clientAgeSeconds",
        "metadata_document_client": "metadataDocumentClient", "scope_beyond_metadata": "scopeBeyondMetadata",
        "keys_changed_recently": "keysChangedRecently", "sender_constrained": "senderConstrained",
        "authorization_details_types": "authorizationDetailsTypes", "largest_amount": "largestAmount", "evidence": "evidence",
    ]

    /// The `Challenge` context of a token request, judged on the rights the token will carry.
    /// - Parameters:
    ///   - rights: what the grant resolves to (``ChallengedRights``): the code's, the refresh family's, or the request's.
    ///   - grantType: the grant type the rights are (or will be) asked with.
    ///   - client: the authenticated client.
    ///   - senderConstrained: whether the request proved a key (DPoP).
    ///   - satisfied: the requirement types already proven.
    ///   - now: the time.
    /// - Returns: the context.
    static func build(
        rights: ChallengedRights,
        grantType: String,
        client: AuthenticatedClient,
        senderConstrained: Bool,
        satisfied: Set<String>,
        now: Date
    ) -> [CedarString: CedarValue] {
        let requested = rights.scope
        let declared = client.metadata.map { Set(($0.document.scope ?? "").split(separator: " ").map(String.init)) }
        let firstSeen = client.metadata?.observation.firstSeenAt ?? client.record.createdAt
        let keysChanged = client.metadata?.observation.keysChangedAt.map { now.timeIntervalSince($0) < 86_400 } ?? false
        let details = (rights.authorizationDetails ?? []).compactMap { if case .object(let object) = $0 { object } else { nil } }
        return [
            "door": .string("oauth"),
            "grantType": .string(CedarString(grantType)),
            "scopes": .set(Set(requested.map { .entity(EntityUID("Scope", $0)) })),
            "audiences": strings(rights.resources),
            "clientAgeSeconds": .long(Int64(max(0, now.timeIntervalSince(firstSeen)).rounded(.down))),
            "metadataDocumentClient": .bool(client.metadata != nil),
            "scopeBeyondMetadata": .bool(declared.map { !Set(requested).isSubset(of: $0) } ?? false),
            "keysChangedRecently": .bool(keysChanged),
            "senderConstrained": .bool(senderConstrained),
            "authorizationDetailsTypes": strings(details.compactMap { if case .string(let type) = $0["type"] { type } else { nil } }),
            "largestAmount": .long(details.map(largestAmount).max() ?? 0),
            "evidence": strings(Array(satisfied)),
        ]
    }

    static func strings(_ values: [String]) -> CedarValue {
        .set(Set(values.map { .string(CedarString($0)) }))
    }

    /// What `largest_amount` is for an `amount` the server cannot read: the largest Long, so a policy bounding
    /// amounts applies to it (fail closed) instead of reading it as 0 (review round 10, H4).
    static let unreadableAmount = Int64.max

    /// The integer part of the largest `amount` member anywhere in a detail (RAR payment examples
    /// put it in `instructedAmount.amount`, as a string or a number), by magnitude: a payment API may read
    /// "-5000" as a debit of 5,000. An `amount` that is neither a JSON number nor a string in the JSON number
    /// grammar (RFC 8259 §6: no spaces, no grouping separators, no `+`, ASCII digits only) — an object such as
    /// `{"value": "5000"}`, an array, `true`, `null` — or whose value is not finite, counts as ``unreadableAmount``:
    /// a payment API's own parser might read "5000 ", "5,000.00", "５０００" or the object's member as 5000. A
    /// Cedar-profile entry (`rarFormat`) counts as ``unreadableAmount`` too: its amounts are policy conditions (or
    /// absent, for a permit that bounds none), which no number summarizes (review round 11, J3).
    /// - Parameter object: one `authorization_details` entry.
    /// - Returns: the integer part of its largest amount, 0 when it names none.
    static func largestAmount(_ object: [String: JSONValue]) -> Int64 {
        guard object["rarFormat"] == nil else { return unreadableAmount }
        var largest: Int64 = 0
        func visit(_ value: JSONValue, key: String?) {
            guard key == "amount" else {
                switch value {
                case .object(let members): for (name, member) in members { visit(member, key: name) }
                case .array(let items): for item in items { visit(item, key: nil) }
                default: break
                }
                return
            }
            largest = max(largest, integerPart(amount(value)))
        }
        visit(.object(object), key: nil)
        return largest
    }

    /// An `amount` member's value as this server reads it: a JSON number, or a string that is exactly one (RFC 8259 §6).
    /// - Parameter value: the member's value.
    /// - Returns: the finite number; `nil` for anything else (`"5000 "`, `true`, `"1e400"`).
    static func amount(_ value: JSONValue) -> Double? {
        let read: Double? =
            switch value {
            case .number(let number): number
            case .string(let text) where isJSONNumber(text): Double(text)
            default: nil
            }
        return read.flatMap { $0.isFinite ? $0 : nil }
    }

    /// The integer part of an amount's magnitude, clamped to 9·10¹⁵; ``unreadableAmount`` for a value that is absent
    /// or not finite.
    static func integerPart(_ number: Double?) -> Int64 {
        guard let number, number.isFinite else { return unreadableAmount }
        return Int64(number.magnitude.clamped(to: 0...9e15))
    }

    /// Whether `text` is a number by RFC 8259 §6's grammar:
    /// `[ "-" ] ( "0" / digit1-9 *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "-" / "+" ] 1*DIGIT ]`, ASCII only.
    /// - Parameter text: the candidate.
    /// - Returns: `true` when it matches the grammar exactly.
    static func isJSONNumber(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        func digits() -> Int {
            let count = bytes.prefix { (0x30...0x39).contains($0) }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        if bytes.first == UInt8(ascii: "0") {
            bytes = bytes.dropFirst()
        } else {
            guard let first = bytes.first, (0x31...0x39).contains(first) else { return false }
            _ = digits()
        }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits() > 0 else { return false }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}

extension Double {
    fileprivate func clamped(to range: ClosedRange<Double>) -> Double { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}
