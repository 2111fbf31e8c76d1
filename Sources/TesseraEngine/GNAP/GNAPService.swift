import Crypto
import Foundation
public import TesseraProtocol
public import TesseraStorage

/// The GNAP front door of the grant engine (RFC 9635): grant requests, continuation, token
/// management, and the RS-facing introspection of RFC 9767. It shares the one token issuer and the
/// stores with the OAuth front door, so a GNAP token is the same signed, recorded JWT.
///
/// Protocol refusals are thrown as ``GNAPError``; anything else thrown is an infrastructure failure.
public struct GNAPService: Sendable {
    public let configuration: GNAPConfiguration
    public let endpoints: GNAPEndpoints
    let stores: Stores
    let issuer: TokenIssuer
    /// The one answer about our access tokens, shared with the OAuth door (issue 19).
    let ledger: TokenLedger
    let proofs: GNAPProofVerifier
    let issuerID: String
    let now: @Sendable () -> Date
    /// Registered instances and resource servers: parties of the one client store (issue 19).
    public let registry: GNAPRegistry
    /// RFC 9396 types (with their Cedar profiles) for Cedar-profile access rights; `nil` accepts none.
    let authorizationDetails: AuthorizationDetailsProcessor?
    /// The one decision point both doors ask (docs/policy.md).
    let decisions: DecisionPoint

    /// Limits on one request, so a request cannot make the server do unbounded work.
    static let maximumTokensPerRequest = 10
    static let maximumRightsPerToken = 50

    init(
        configuration: GNAPConfiguration,
        issuerID: String,
        stores: Stores,
        issuer: TokenIssuer,
        ledger: TokenLedger,
        authorizationDetails: AuthorizationDetailsProcessor? = nil,
        decisions: DecisionPoint = DecisionPoint(),
        now: @escaping @Sendable () -> Date
    ) {
        self.decisions = decisions
        self.ledger = ledger
        self.authorizationDetails = authorizationDetails
        self.configuration = configuration
        self.endpoints = GNAPEndpoints(issuer: issuerID)
        self.stores = stores
        self.issuer = issuer
        self.issuerID = issuerID
        self.now = now
        var proofs = GNAPProofVerifier(replay: stores.replay, window: configuration.proofWindow, now: now)
        proofs.mutualTLS = configuration.mutualTLS
        self.proofs = proofs
        self.registry = GNAPRegistry(clients: stores.clients)
    }

    /// The AS discovery document (RFC 9635 §9).
    public var discovery: GNAPDiscovery {
        GNAPDiscovery(
            grantRequestEndpoint: endpoints.grant,
            interactionStartModesSupported: Self.supportedStartModes,
            interactionFinishMethodsSupported: Self.supportedFinishMethods,
            keyProofsSupported: proofs.supportedMethods,
            subIDFormatsSupported: ["opaque", "iss_sub"],
            assertionFormatsSupported: ["id_token"],
            keyRotationSupported: false
        )
    }

    // MARK: - Out-of-band decisions

    /// A resource owner approves (as `subject`) or denies a pending grant out of band (`tessera gnap approve`) — the
    /// party authorizing access need not be the party operating the client (RFC 9635 §1.4). An approval is checked as
    /// the consent page checks one (``approvalRefusal(_:client:by:)``), and, as the page's form does, names the request
    /// it approves by its ``consentDigest(of:)`` (the digest `tessera gnap grants` lists): it is written only while the
    /// grant still asks exactly that (the store's compare-and-swap on the request), so a client that modifies its
    /// pending grant (§5.3) between the listing and the approval has nothing approved (review round 13, L3). A denial
    /// names no digest: denying what the grant now asks takes nothing from anyone.
    /// - Parameters:
    ///   - grantID: the grant.
    ///   - approve: approve, or deny.
    ///   - subject: who approves: the tokens' subject.
    ///   - digest: the ``consentDigest(ofStored:)`` of the request as the approver saw it; an approval without it is refused.
    /// - Returns: `false` when the grant does not exist, is not pending or has expired.
    /// - Throws: ``GNAPError`` `request_denied` when `subject` may not approve it, or the grant does not ask what `digest` names.
    public func decide(grantID: String, approve: Bool, subject: String?, digest: String?) async throws -> Bool {
        guard let grant = try await stores.gnap.grant(id: grantID), grant.state == .pending, now() < grant.expiresAt else { return false }
        let changed = GNAPError(.requestDenied, "the grant does not ask for the request this digest names: it was modified (RFC 9635 §5.3)")
        var expected: String?
        if approve {
            guard let subject else { throw GNAPError(.requestDenied, "an approval names its subject") }
            guard let digest else { throw GNAPError(.requestDenied, "an approval names the digest of the request it approves") }
            guard ConstantTime.equals(Array(digest.utf8), Array(try Self.consentDigest(ofStored: grant.request).utf8)) else {
                throw changed
            }
            let request = try Self.decode(GNAPGrantRequest.self, from: Array(grant.request.utf8))
            let client = Self.identity(instance: try await registeredInstance(grant.instanceID), thumbprint: grant.keyThumbprint)
            if let refusal = approvalRefusal(request, client: client, by: subject) { throw GNAPError(.requestDenied, refusal.description) }
            expected = grant.request
        }
        if try await stores.gnap.decide(grantID: grantID, approve: approve, subject: subject, expectedRequest: expected, at: now()) {
            return true
        }
        // Modified between this read and the write: still pending, with another request.
        guard expected != nil, try await stores.gnap.grant(id: grantID)?.state == .pending else { return false }
        throw changed
    }

    /// Grants, optionally in one state, for operators.
    public func grants(state: GNAPGrantRecord.State?) async throws -> [GNAPGrantRecord] {
        try await stores.gnap.grants(state: state)
    }

    // MARK: - Shared pieces

    /// The client's key and its registered instance, if any (RFC 9635 §2.3), with the key's thumbprint
    /// (``thumbprint(of:)``), computed once per request (issue 22: it was computed three times per grant).
    /// - Parameter client: the `client` member.
    /// - Returns: the key, the instance and the key's thumbprint.
    /// - Throws: ``GNAPError`` `invalid_client` for an unknown instance, a malformed or unregistered key.
    func identify(_ client: GNAPClientReference) async throws -> (GNAPKey, GNAPConfiguration.Instance?, String) {
        switch client {
        case .instance(let id):
            guard let instance = try await registry.party(id: id)?.instance else {
                throw GNAPError(.invalidClient, "unknown instance_id")
            }
            return (instance.key, instance, try Self.thumbprint(of: instance.key))
        case .value(let value):
            let key = value.key
            try Self.checkKeyFormat(key)
            let thumbprint = try Self.thumbprint(of: key)
            // Registered under this same thumbprint of its key (GNAPRegistry).
            if let instance = try await registry.party(thumbprint: thumbprint)?.instance {
                return (instance.key, instance, thumbprint)
            }
            guard configuration.allowUnknownClients else { throw GNAPError(.invalidClient, "this client key is not registered") }
            return (key, nil, thumbprint)
        }
    }

    /// The checks RFC 9635 §7.1 puts on a key presented by value: exactly one format, a JWK with `alg`
    /// and `kid` for the signing methods, a certificate for `mtls`.
    /// - Parameter key: the presented key.
    /// - Throws: ``GNAPError`` `invalid_client`.
    static func checkKeyFormat(_ key: GNAPKey) throws(GNAPError) {
        let formats = [key.jwk != nil, key.cert != nil, key.certS256 != nil].filter { $0 }.count
        guard formats == 1 else {
            throw GNAPError(.invalidClient, "the client key must be in exactly one format: jwk, cert or cert#S256 (RFC 9635 §7.1)")
        }
        if key.proof.method == "mtls" {
            guard key.jwk == nil else {
                throw GNAPError(.invalidClient, "an mtls key is a certificate: send 'cert' or 'cert#S256', not 'jwk' (RFC 9635 §7.3.2)")
            }
        } else {
            guard key.jwk != nil else {
                throw GNAPError(
                    .invalidClient,
                    "a 'cert' or 'cert#S256' key proves with mtls; \(key.proof.method.prefix(32)) needs a JWK (RFC 9635 §7.1)"
                )
            }
            guard key.jwk?.alg != nil, key.jwk?.kid != nil else {
                throw GNAPError(.invalidClient, "the client JWK must carry 'alg' and 'kid' (RFC 9635 §7.1)")
            }
        }
    }

    func validate(_ request: GNAPGrantRequest, instance: GNAPConfiguration.Instance?) throws(GNAPError) {
        guard request.accessToken != nil || request.subject != nil else {
            throw GNAPError(.invalidRequest, "the request asks for neither access_token nor subject")
        }
        if case .value(let client) = request.client, let name = client.display?.name,
            !DisplayedName.displaysAsItReads(name)
        {
            throw GNAPError(
                .invalidRequest,
                "client.display.name must not hold control or formatting characters such as bidirectional overrides, nor stack more than \(DisplayedName.maximumScalarsPerCharacter) marks on a character (RFC 9635 §2.3.2)"
            )
        }
        // RFC 9635 §2.3.2: `uri` is the client's user-facing web page; anything but an http(s) URL with a host (a
        // `javascript:` text shown under "Web site") is refused (review round 12, K7).
        if case .value(let client) = request.client, let uri = client.display?.uri {
            guard uri.utf8.count <= 500, uri.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }),
                let components = URLComponents(string: uri), ["https", "http"].contains(components.scheme?.lowercased() ?? ""),
                !(components.host ?? "").isEmpty, components.user == nil, components.password == nil
            else {
                throw GNAPError(
                    .invalidRequest,
                    "client.display.uri must be an http or https URL of the client's web page (RFC 9635 §2.3.2)"
                )
            }
        }
        if let tokens = request.accessToken {
            let list = tokens.requests
            guard !list.isEmpty, list.count <= Self.maximumTokensPerRequest else {
                throw GNAPError(.invalidRequest, "access_token must request 1 to \(Self.maximumTokensPerRequest) tokens")
            }
            if case .multiple = tokens {
                let labels = list.compactMap(\.label)
                guard labels.count == list.count, Set(labels).count == labels.count else {
                    throw GNAPError(.invalidRequest, "every token in a multi-token request needs a unique label (RFC 9635 §2.1.2)")
                }
            }
            for token in list {
                guard !token.access.isEmpty, token.access.count <= Self.maximumRightsPerToken else {
                    throw GNAPError(.invalidRequest, "each token's access must list 1 to \(Self.maximumRightsPerToken) rights")
                }
                for right in token.access where right.typeOrReference.isEmpty {
                    throw GNAPError(.invalidRequest, "an access right has an empty type or reference")
                }
                for right in token.access {
                    let spelled: [String]
                    switch right {
                    case .reference(let reference): spelled = [reference]
                    case .object(let object):
                        spelled =
                            [object.type] + [object.actions, object.locations, object.datatypes, object.privileges].flatMap { $0 ?? [] }
                    }
                    if spelled.contains(where: RightSpelling.hasWhiteSpace) {
                        throw GNAPError(.invalidRequest, "an access right's reference, type or values \(RightSpelling.rule) (RFC 9635 §8)")
                    }
                    if case .object(let object) = right, let other = object.locations?.first(where: { !ResourceURI.isNormal($0) }) {
                        throw GNAPError(.invalidRequest, "location '\(other.prefix(100))' \(ResourceURI.rule)")
                    }
                }
                let flags = token.flags ?? []
                guard Set(flags).count == flags.count else { throw GNAPError(.invalidFlag, "a flag appears twice (RFC 9635 §2.1.1)") }
                for flag in flags where flag != "bearer" {
                    throw GNAPError(.invalidFlag, "flag '\(flag.prefix(32))' cannot be requested (only 'bearer')")
                }
                guard Self.mayHold(token, instance: instance) else {
                    throw GNAPError(.invalidFlag, "this client may not request bearer tokens; omit the flag for a key-bound token")
                }
            }
        }
        if let formats = request.subject?.subIDFormats, formats.count > 20 {
            throw GNAPError(.invalidRequest, "too many sub_id_formats")
        }
    }

    /// Whether the client may hold `token` as its registration now stands: a `bearer` token only while the instance
    /// has `allow_bearer` (RFC 9635 §2.1.1). Asked of a new request, and again of every continuation and rotation
    /// (review round 11, J6), so turning `allow_bearer` off stops renewing the bearer tokens already approved.
    static func mayHold(_ token: GNAPTokenRequest, instance: GNAPConfiguration.Instance?) -> Bool {
        token.flags?.contains("bearer") != true || instance?.allowBearer == true
    }

    func continueMember(grantID: String, token: String) -> GNAPContinue {
        GNAPContinue(
            accessToken: GNAPTokenValue(value: token),
            uri: endpoints.continuationBase + grantID,
            wait: configuration.continuationWait
        )
    }

    /// Decodes a GNAP body or stored record with ``JSONValueDecoder`` (issue 22: `JSONDecoder` was 5.8 % of a
    /// grant's server CPU). A member name repeated in one object is refused, where `JSONDecoder` kept the first.
    /// Every string must be in Unicode Normalization Form C (``UnicodeNFC``): access rights are exact strings
    /// (RFC 9635 §8, RFC 8259 §8.3) that Cedar compares as bytes, where Swift's `==` calls equivalent spellings equal.
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - body: The JSON text.
    /// - Returns: The value.
    /// - Throws: ``GNAPError`` `invalid_request` naming a missing member or one of the wrong type, or for text not in NFC
    ///   or holding a control character (``ControlCharacters``).
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(GNAPError) -> T {
        guard !body.isEmpty else { throw GNAPError(.invalidRequest, "the request needs a JSON object body") }
        var asciiText = false
        guard let value = JSONValue.parse(Data(body), asciiText: &asciiText) else {
            throw GNAPError(.invalidRequest, "the body is not a valid GNAP JSON object")
        }
        // ASCII text (nearly every body) is NFC: the walk is for the rest only.
        guard asciiText || UnicodeNFC.isNormalized(value) else {
            throw GNAPError(.invalidRequest, "a string in the body \(UnicodeNFC.rule)")
        }
        guard !ControlCharacters.occur(in: value) else {
            throw GNAPError(.invalidRequest, "a string in the body \(ControlCharacters.rule)")
        }
        do {
            // The two read on every grant, by hand (GNAPGrantRequest+JSON.swift); anything else generically.
            if T.self == GNAPGrantRequest.self, let request = try GNAPGrantRequest.read(value, at: []) as? T { return request }
            if T.self == GNAPKey.self, let key = try GNAPKey.read(value, at: []) as? T { return key }
            return try JSONValueDecoder().decode(T.self, from: value)
        } catch let DecodingError.keyNotFound(key, _) {
            throw GNAPError(.invalidRequest, "missing member '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw GNAPError(.invalidRequest, "member '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch {
            throw GNAPError(.invalidRequest, "the body is not a valid GNAP JSON object")
        }
    }

    /// Encodes a record's JSON (the stored grant request, the client key) with ``SortedJSONEncoder``: members
    /// sorted, as `JSONEncoder` with `.sortedKeys` wrote them, without its cost (issue 22: 4 % of a grant).
    /// - Parameter value: The value.
    /// - Returns: Its JSON text.
    /// - Throws: `EncodingError` for a value JSON cannot represent.
    static func encode(_ value: some Encodable) throws -> String {
        // The grant request and the client key, written by hand (GNAPGrantRequest+JSON.swift).
        // Only these two: other writable values (e.g. an access_token member) write members in their own order, and
        // a digest of the encoding (the consent page's) must not depend on a dictionary's.
        if let request = value as? GNAPGrantRequest { return String(decoding: try request.jsonBytes(), as: UTF8.self) }
        if let key = value as? GNAPKey { return String(decoding: try key.jsonBytes(), as: UTF8.self) }
        return String(decoding: try SortedJSONEncoder().encode(value), as: UTF8.self)
    }

    /// The key's identity: the RFC 7638 JWK thumbprint, or for a certificate the RFC 8705 SHA-256
    /// thumbprint of its DER (what `cert#S256` already is).
    static func thumbprint(of key: GNAPKey) throws(GNAPError) -> String {
        if let cert = key.cert {
            do { return try GNAPCertificate(pem: cert).thumbprint } catch {
                throw GNAPError(.invalidClient, "the client 'cert' is not valid: \(error.message) (RFC 9635 §7.1)")
            }
        }
        if let certS256 = key.certS256 {
            guard certS256.utf8.count == 43, Base64URL.decode(certS256)?.count == 32 else {
                throw GNAPError(.invalidClient, "'cert#S256' must be the base64url SHA-256 of the certificate (RFC 8705 §3.1)")
            }
            return certS256
        }
        guard let jwk = key.jwk else { throw GNAPError(.invalidClient, "the key has no JWK") }
        do { return try jwk.thumbprint() } catch { throw GNAPError(.invalidClient, "the client JWK is not valid: \(error.message)") }
    }
}
