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

    /// The `Challenge` context of a token request.
    /// - Parameters:
    ///   - request: the token request.
    ///   - client: the authenticated client.
    ///   - key: the key the client proved with this request (DPoP), if any.
    ///   - satisfied: the requirement types already proven.
    ///   - now: the time.
    /// - Returns: the context.
    static func build(
        request: AccessRequest,
        client: AuthenticatedClient,
        key: ProvenKey?,
        satisfied: Set<String>,
        now: Date
    ) -> [CedarString: CedarValue] {
        let requested = request.rights.scope?.tokens ?? []
        let declared = client.metadata.map { Set(($0.document.scope ?? "").split(separator: " ").map(String.init)) }
        let firstSeen = client.metadata?.observation.firstSeenAt ?? client.record.createdAt
        let keysChanged = client.metadata?.observation.keysChangedAt.map { now.timeIntervalSince($0) < 86_400 } ?? false
        let details = parsedDetails(request.presented["authorization_details"])
        return [
            "door": .string("oauth"),
            "grantType": .string(CedarString(request.kind)),
            "scopes": .set(Set(requested.map { .entity(EntityUID("Scope", $0)) })),
            "audiences": strings(request.resources),
            "clientAgeSeconds": .long(Int64(max(0, now.timeIntervalSince(firstSeen)).rounded(.down))),
            "metadataDocumentClient": .bool(client.metadata != nil),
            "scopeBeyondMetadata": .bool(declared.map { !Set(requested).isSubset(of: $0) } ?? false),
            "keysChangedRecently": .bool(keysChanged),
            "senderConstrained": .bool(key != nil),
            "authorizationDetailsTypes": strings(details.compactMap { if case .string(let type) = $0["type"] { type } else { nil } }),
            "largestAmount": .long(details.map(largestAmount).max() ?? 0),
            "evidence": strings(Array(satisfied)),
        ]
    }

    static func strings(_ values: [String]) -> CedarValue {
        .set(Set(values.map { .string(CedarString($0)) }))
    }

    static func parsedDetails(_ text: String?) -> [[String: JSONValue]] {
        guard let text, text.utf8.count <= 64 * 1024,
            let value = try? JSONDecoder().decode([JSONValue].self, from: Data(text.utf8))
        else { return [] }
        return value.compactMap { if case .object(let object) = $0 { object } else { nil } }
    }

    /// The integer part of the largest `amount` member anywhere in a detail (RAR payment examples
    /// put it in `instructedAmount.amount`, as a string or a number).
    static func largestAmount(_ object: [String: JSONValue]) -> Int64 {
        var largest: Int64 = 0
        func visit(_ value: JSONValue, key: String?) {
            switch value {
            case .object(let members): for (name, member) in members { visit(member, key: name) }
            case .array(let items): for item in items { visit(item, key: key) }
            case .number(let number) where key == "amount" && number.isFinite:
                largest = max(largest, Int64(clamping: Int(number.clamped(to: -9e15...9e15))))
            case .string(let text) where key == "amount":
                if let number = Double(text), number.isFinite { largest = max(largest, Int64(number.clamped(to: -9e15...9e15))) }
            default: break
            }
        }
        visit(.object(object), key: nil)
        return largest
    }
}

extension Double {
    fileprivate func clamped(to range: ClosedRange<Double>) -> Double { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}
