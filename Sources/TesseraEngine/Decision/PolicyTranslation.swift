import Cedar
import Foundation
import TesseraProtocol

/// The three policy files Tessera read before it had one decision point, translated into the one
/// vocabulary when the configuration is loaded (docs/policy.md, "Policy files in their old words"),
/// so the one decision point is the only evaluator. The mapping is mechanical:
///
/// | file | old request | one vocabulary |
/// |---|---|---|
/// | `chaining.policy_file` | `Peer::"<peer>"`, `request_scope`, `Scope` | `redeem` of that `Scope`, `context.peer == "<peer>"` |
/// | `chaining.id_jag_policy_file` | `Client`, `request_id_jag`, `Peer::"<peer>"` | `exchange` of each `Resource` audience of an ID-JAG for that peer |
/// | `chaining.id_jag_policy_file` | `Client`, `request_scope`, `Scope` | `exchange` of that `Scope` in an ID-JAG |
/// | `client_challenges.policy` | `Client`, `token`, `AuthorizationServer::"<issuer>"` | `challenge`, `TrustDomain::"<issuer>"` |
///
/// A chaining file's old context members are read from `context.chaining` (the grant's or ID
/// token's facts, present only on those questions); a challenge file's are renamed to the
/// `Challenge` context's. A file was asked besides the one set, so only its refusals carry over: its
/// forbids, and for the chaining files (which permitted nothing by default) one
/// `forbid … when { !(<any of its permits>) }`; the challenge file started from permit-all. What the old evaluator could not have matched the same way — an
/// entity's attributes (it had no entities), `in`, `action` or `principal` where their meaning
/// changed, an unknown context member, a template — is refused: the server does not start.
public enum PolicyTranslation {
    /// Which old vocabulary a file is written in.
    public enum Role: Sendable {
        /// `chaining.policy_file`.
        case peerGrants
        /// `chaining.id_jag_policy_file`.
        case idJAG
        /// `client_challenges.policy`.
        case clientChallenges
    }

    /// One old request shape and what it becomes.
    struct Variant {
        let oldPrincipal: String
        let oldAction: String
        /// The old resource type and the new one.
        let oldResource: String
        let newAction: String
        let newResource: String
        /// Old context member → its path in the new context.
        let context: [String: [String]]

        /// `principal == Peer::"p"` becomes `context.peer == "p"` (the principal is the redeeming client now).
        var principalBecomesPeer: Bool { oldPrincipal == "Peer" }
        /// `resource == Peer::"p"` becomes `context.chaining.peer == "p"` (the resource is each audience now).
        var resourceBecomesPeer: Bool { oldResource == "Peer" }
        /// Old entity types that keep their meaning under a new name (`AuthorizationServer` → `TrustDomain`).
        var renames: [String: String] {
            oldResource == newResource || resourceBecomesPeer ? [:] : [oldResource: newResource]
        }
        /// The chaining files permitted nothing by default and were asked only with `context.chaining`;
        /// the challenge file started from permit-all and was asked of every token request.
        var defaultDeny: Bool { newAction != "challenge" }
    }

    static func variants(_ role: Role) -> [Variant] {
        func chaining(_ names: [String]) -> [String: [String]] {
            Dictionary(uniqueKeysWithValues: names.map { ($0, ["chaining", $0]) })
        }
        let idToken = ["audience", "resource", "subject", "subject_issuer", "claims"]
        switch role {
        case .peerGrants:
            let grant = chaining(["issuer", "subject", "client_id", "redeeming_client", "actor", "claims"])
            return [
                Variant(
                    oldPrincipal: "Peer",
                    oldAction: "request_scope",
                    oldResource: "Scope",
                    newAction: "redeem",
                    newResource: "Scope",
                    context: grant
                )
            ]
        case .idJAG:
            return [
                Variant(
                    oldPrincipal: "Client",
                    oldAction: "request_id_jag",
                    oldResource: "Peer",
                    newAction: "exchange",
                    newResource: "Resource",
                    context: chaining(idToken)
                ),
                Variant(
                    oldPrincipal: "Client",
                    oldAction: "request_scope",
                    oldResource: "Scope",
                    newAction: "exchange",
                    newResource: "Scope",
                    context: chaining(idToken + ["peer"])
                ),
            ]
        case .clientChallenges:
            var names = Dictionary(uniqueKeysWithValues: ChallengeContext.names.map { ($0.key.value, [$0.value.value]) })
            names["scopes"] = ["scopes"]
            return [
                Variant(
                    oldPrincipal: "Client",
                    oldAction: "token",
                    oldResource: "AuthorizationServer",
                    newAction: "challenge",
                    newResource: "TrustDomain",
                    context: names
                )
            ]
        }
    }

    /// Translates a policy file.
    /// - Parameters:
    ///   - text: the file's Cedar text, in its old vocabulary.
    ///   - source: the file name, for messages and as the translated policies' source.
    ///   - role: which old vocabulary it is written in.
    /// - Returns: the same rules in the one vocabulary, as Cedar text.
    /// - Throws: ``PolicyTranslationError`` naming the file and the policy that does not parse or
    ///   cannot be translated faithfully.
    public static func translate(_ text: String, source: String, role: Role) throws(PolicyTranslationError) -> String {
        try translation(text, source: source, role: role).text
    }

    /// ``translate(_:source:role:)``, with what the translated text was written from.
    /// - Parameters:
    ///   - text: the file's Cedar text, in its old vocabulary.
    ///   - source: the file name.
    ///   - role: which old vocabulary it is written in.
    /// - Returns: the translated text; the translated set (policy `policyNNNNNN` is the N-th written); the file
    ///   as parsed; and, per written policy, the file's policy it comes from (`nil` for a default-deny forbid and
    ///   for one that reads `claims`, which types cannot judge: ``readsUndeclared(_:)``).
    /// - Throws: ``PolicyTranslationError``, as ``translate(_:source:role:)``.
    static func translation(
        _ text: String,
        source: String,
        role: Role
    ) throws(PolicyTranslationError) -> (text: String, translated: PolicySet, parsed: PolicySet, origins: [Policy?]) {
        let parsed: PolicySet
        do { parsed = try PolicySet(parsing: text, filename: source) } catch {
            throw PolicyTranslationError(source: source, policy: nil, problem: "is not Cedar: \(error.description)")
        }
        guard parsed.isNFC else {
            let problem = "holds a string literal that, read with its escapes, \(UnicodeNFC.rule); write it in NFC"
            throw PolicyTranslationError(source: source, policy: nil, problem: problem)
        }
        guard let document = try? JSONDecoder().decode(JSONValue.self, from: Data(parsed.jsonString(pretty: false).utf8)),
            case .object(let statics)? = document.objectValue?["staticPolicies"]
        else { throw PolicyTranslationError(source: source, policy: nil, problem: "cannot be read as policies") }
        guard parsed.templates.isEmpty else {
            throw PolicyTranslationError(
                source: source,
                policy: parsed.templates[0].id,
                problem: "is a template, which was never evaluated"
            )
        }
        // Policies are named after the file, not its path: refusals reach clients in error_description.
        let label = source.split(separator: "/").last.map(String.init) ?? source
        var policies: [JSONValue] = []
        var origins: [Policy?] = []
        var matched = Set<String>()
        for variant in variants(role) {
            var permits: [JSONValue] = []
            for policy in parsed.staticPolicies {
                guard case .object(let old)? = statics[policy.id] else { continue }
                let name = policy.annotation("id") ?? policy.id
                let translator = Translator(variant: variant, source: source, policy: name)
                guard let translated = try translator.policy(old) else { continue }
                matched.insert(policy.id)
                // A permit widens nothing here: the old file was asked besides the one set, so only
                // its refusals carry over (its permits become the default-deny forbid's exceptions).
                if policy.effect == .permit {
                    if variant.defaultDeny { permits.append(translated.condition) }
                    continue
                }
                var annotations = old["annotations"]?.objectValue ?? [:]
                let suffix = variants(role).count > 1 ? " (\(variant.oldAction))" : ""
                annotations["id"] = .string("\(label): \(name)\(suffix)")
                var written = translated.policy
                written["annotations"] = .object(annotations)
                policies.append(.object(written))
                origins.append(Self.readsUndeclared(.object(written)) ? nil : policy)
            }
            if variant.defaultDeny {
                policies.append(Translator.defaultDeny(variant, permits: permits, label: label))
                origins.append(nil)
            }
        }
        // A policy no old request could match was never evaluated; most likely a misspelt name, so say so.
        if let unmatched = parsed.staticPolicies.first(where: { !matched.contains($0.id) }) {
            throw PolicyTranslationError(
                source: source,
                policy: unmatched.annotation("id") ?? unmatched.id,
                problem:
                    "matches no request this file is asked (\(variants(role).map { "\($0.oldPrincipal), Action::\"\($0.oldAction)\", \($0.oldResource)" }.joined(separator: "; ")))"
            )
        }
        let set: JSONValue = .object([
            "staticPolicies": .object(
                Dictionary(uniqueKeysWithValues: policies.enumerated().map { (String(format: "policy%06d", $0.offset), $0.element) })
            ),
            "templates": .object([:]), "templateLinks": .array([]),
        ])
        do {
            let translated = try PolicySet(json: Translator.write(set))
            let text = "// \(source), translated from its old vocabulary (docs/policy.md).\n" + PolicyFormatter.format(translated)
            return (text, translated, parsed, origins)
        } catch {
            throw PolicyTranslationError(source: source, policy: nil, problem: "translates into policies that do not read back: \(error)")
        }
    }
}

/// A policy file that cannot be evaluated by the one decision point.
public struct PolicyTranslationError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public let source: String
    /// The policy (its `@id`, or its position as `policyN`), when one is to blame.
    public let policy: String?
    /// What is wrong.
    public let problem: String

    public var description: String {
        "\(source)" + (policy.map { ", policy \($0)," } ?? "") + " \(problem)"
    }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}
