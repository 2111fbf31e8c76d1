import TesseraProtocol

/// How claims cross a trust boundary (draft-ietf-oauth-identity-chaining §2.5): subject mapping,
/// an allow-list of claims, a namespace for what is imported, and removal for privacy.
///
/// The defaults copy nothing but the subject: a claim crosses only when it is listed.
public struct ClaimsTranscription: Sendable, Hashable {
    /// Subject identifiers translated from one domain's name to the other's.
    public var subjectMap: [String: String] = [:]
    /// Take the subject from this claim instead of `sub` (claim-based mapping).
    public var subjectClaim: String?
    /// Refuse when the subject is not in ``subjectMap`` (fail closed). Without a map, a
    /// ``subjectClaim`` that is absent always refuses.
    public var requireSubjectMapping = false
    /// The claims copied across; `"*"` copies every claim that is not a protocol claim.
    public var claims: [String] = []
    /// Prefix for copied claim names, so imported claims cannot pass for local ones.
    public var claimPrefix = ""
    /// Claims never copied, even when allowed (selective removal).
    public var remove: [String] = []

    public init() {}

    /// The subject to use, or `nil` when it cannot be identified (the caller refuses).
    ///
    /// A subject not in Unicode Normalization Form C is not identified: ``subjectMap`` is a Swift `Dictionary`, which
    /// would map `\u{212A}im` (KELVIN SIGN), another account at the peer, to the identity configured for `Kim`
    /// (RFC 8259 §8.3 compares strings code point by code point; ``UnicodeNFC``). The map's keys are NFC
    /// (checked at start), so for an NFC subject the lookup is exact.
    func subject(of claims: JWTClaimSet) -> String? {
        let source: String?
        if let subjectClaim { source = claims.string(subjectClaim) } else { source = claims.string("sub") }
        guard let source, !source.isEmpty, UnicodeNFC.isNormalized(source) else { return nil }
        if let mapped = subjectMap[source] { return mapped }
        return requireSubjectMapping ? nil : source
    }

    /// The claims to copy, namespaced. Protocol claims (``JWTClaimSet/protocolClaims``) never cross this way.
    func transcribedClaims(of claims: JWTClaimSet) -> [String: JSONValue] {
        guard !self.claims.isEmpty else { return [:] }
        let all = self.claims.contains("*")
        var result: [String: JSONValue] = [:]
        for (name, value) in claims.values
        where (all || self.claims.contains(name)) && !remove.contains(name) && !JWTClaimSet.protocolClaims.contains(name) {
            let imported = claimPrefix + name
            guard !JWTClaimSet.protocolClaims.contains(imported) else { continue }
            result[imported] = value
        }
        return result
    }
}
