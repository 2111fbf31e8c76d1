import Cedar
import Foundation
public import TesseraProtocol

/// A Cedar policy over incoming JWT authorization grants (draft-ietf-oauth-identity-chaining
/// §2.4.2: "AS-B MAY deny by policy"): decides, scope by scope, what a peer domain may obtain.
///
/// Each scope of a grant being redeemed is one request:
/// principal `Peer::"<peer name>"`, action `Action::"request_scope"`, resource `Scope::"<scope>"`,
/// context `{ issuer, subject, client_id, redeeming_client, actor, claims }` where `claims` holds
/// the grant's claims (strings, numbers, booleans, sets and records). Default deny: a scope no
/// policy permits is refused.
public struct ChainingPolicy: Sendable {
    private let authorizer: Authorizer
    /// Where the policy came from (for messages).
    public let source: String

    /// - Throws: ``ChainingPolicyError`` with the parser's message when the text is not valid Cedar.
    public init(text: String, source: String) throws(ChainingPolicyError) {
        do {
            authorizer = Authorizer(policies: try PolicySet(parsing: text, filename: source))
        } catch {
            throw ChainingPolicyError(message: error.description)
        }
        self.source = source
    }

    /// Whether the policy permits `peer` to obtain `scope` with a grant carrying `claims`.
    public func permits(peer: String, scope: String, context: [String: JSONValue]) -> Bool {
        decide(EntityUID("Peer", peer), "request_scope", EntityUID("Scope", scope), context)
    }

    /// ID-JAG issuance (draft-ietf-oauth-identity-assertion-authz-grant §4.3.3, "administrator
    /// policy"): principal `Client::"<client>"`, action `Action::"request_id_jag"`, resource
    /// `Peer::"<resource AS>"`, context `{ audience, resource (set), subject, subject_issuer, claims }`
    /// where `claims` are the ID token's.
    public func permitsIDJAG(client: String, peer: String, context: [String: JSONValue]) -> Bool {
        decide(EntityUID("Client", client), "request_id_jag", EntityUID("Peer", peer), context)
    }

    /// One scope of an ID-JAG: principal `Client::"<client>"`, action `Action::"request_scope"`,
    /// resource `Scope::"<scope>"`, the context of ``permitsIDJAG(client:peer:context:)`` plus `peer`.
    public func permitsIDJAGScope(client: String, scope: String, context: [String: JSONValue]) -> Bool {
        decide(EntityUID("Client", client), "request_scope", EntityUID("Scope", scope), context)
    }

    private func decide(_ principal: EntityUID, _ action: String, _ resource: EntityUID, _ context: [String: JSONValue]) -> Bool {
        let request = AuthorizationRequest(
            principal: principal,
            action: EntityUID("Action", action),
            resource: resource,
            context: Dictionary(uniqueKeysWithValues: context.compactMap { key, value in Self.cedar(value).map { (CedarString(key), $0) } })
        )
        let answer = authorizer.isAuthorized(request, entities: EntityStore())
        // Cedar skips a policy that errors (e.g. a forbid on a claim the grant lacks), which would fail
        // open; any evaluation error refuses the scope instead.
        return answer.decision == .allow && answer.diagnostics.errors.isEmpty
    }

    /// JSON → Cedar values; `null` and non-integral numbers have no Cedar form and are left out.
    private static func cedar(_ value: JSONValue) -> CedarValue? {
        switch value {
        case .null: return nil
        case .bool(let flag): return .bool(flag)
        case .number(let number):
            guard number.rounded() == number, abs(number) < 9e15 else { return nil }
            return .long(Int64(number))
        case .string(let text): return .string(text)
        case .array(let items): return .set(Set(items.compactMap(cedar)))
        case .object(let members):
            return .record(
                Dictionary(uniqueKeysWithValues: members.compactMap { key, value in cedar(value).map { (CedarString(key), $0) } })
            )
        }
    }
}

/// A chaining policy that does not parse.
public struct ChainingPolicyError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
