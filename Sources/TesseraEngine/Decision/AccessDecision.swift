/// The decision point's answer to an ``AccessQuestion``: one ruling per right, each naming the
/// policies that decided it, so `tessera policy explain` and error descriptions can say why.
public struct AccessDecision: Sendable, Hashable {
    /// How one right was decided (Cedar's answer, made fail-closed).
    public enum Verdict: String, Sendable, Hashable {
        /// Some permit matched and no forbid did.
        case permitted
        /// A forbid matched.
        case forbidden
        /// No permit matched (Cedar's default deny).
        case notPermitted = "not_permitted"
        /// A policy could not be evaluated: refused, whatever its effect (docs/cedar.md, skip-on-error).
        case failed
    }

    /// The ruling on one right or audience.
    public struct Ruling: Sendable, Hashable {
        /// What a ruling is about: a right (`Scope::"…"`) or an audience (`Resource::"…"`).
        public enum Kind: Sendable, Hashable {
            case right
            case audience
        }

        /// The right, the audience, or the operation (`introspect`, `challenge`) decided.
        public let right: String
        public let verdict: Verdict
        /// The determining policies: the permits for `permitted`, the forbids for `forbidden`,
        /// the failing policies for `failed`; empty for `notPermitted`.
        public let policies: [PolicyReference]
        /// Evaluation errors, one line each, for `failed`.
        public let errors: [String]
        public var kind = Kind.right
    }

    public let rulings: [Ruling]

    /// Whether every right asked for was permitted.
    public var isPermitted: Bool { rulings.allSatisfy { $0.verdict == .permitted } }
    /// The rights permitted, in the order asked (audiences left out).
    public var permitted: [String] { rulings.filter { $0.verdict == .permitted && $0.kind == .right }.map(\.right) }
    /// The audiences not permitted: the request names a target policy does not allow (`invalid_target`).
    public var refusedAudiences: [Ruling] { rulings.filter { $0.verdict != .permitted && $0.kind == .audience } }
    /// The rulings that refuse outright: a forbid matched or a policy failed. Unlike a right no
    /// policy permits, these are not for a person to override (GNAP does not wait for one).
    public var refusals: [Ruling] { rulings.filter { $0.verdict == .forbidden || $0.verdict == .failed } }
    /// The rulings that did not permit, whatever the reason.
    public var denials: [Ruling] { rulings.filter { $0.verdict != .permitted } }

    /// One sentence for an `error_description`: the refused rights and the policies that refused them.
    public var refusalDescription: String {
        denials.map { ruling in
            switch ruling.verdict {
            case .forbidden: "'\(ruling.right)' is forbidden by policy \(ruling.policies.map(\.description).joined(separator: ", "))"
            case .failed:
                "'\(ruling.right)' is refused: policy \(ruling.policies.map(\.description).joined(separator: ", ")) could not be evaluated"
            case .notPermitted, .permitted: "'\(ruling.right)' is permitted by no policy"
            }
        }
        .joined(separator: "; ")
    }
}

/// Which policy decided: its set (`defaults` or the owner's file), Cedar id, `@id` annotation and place.
public struct PolicyReference: Sendable, Hashable, CustomStringConvertible {
    /// `tessera-defaults.cedar` or the owner's file name.
    public let source: String
    /// The Cedar policy id within its set (`policy0`, …).
    public let id: String
    /// The policy's `@id("…")` annotation, if any.
    public let name: String?
    /// `line:column` of the policy in its source.
    public let location: String?

    /// `"registered-scopes-for-itself"` when annotated, else `owner.cedar:4:1 (policy1)`.
    public var description: String {
        if let name { return "\"\(name)\"" }
        return "\(source):\(location.map { $0 + " " } ?? "")(\(id))"
    }
}
