import Crypto
import Foundation
public import TesseraProtocol
import TesseraStorage

extension GNAPService {
    /// The registered resource server a request names, by instance id or by key (RFC 9767 §3.2).
    /// - Throws: ``GNAPError`` `invalid_resource_server` for an unknown one.
    func resourceServer(_ reference: GNAPResourceServerReference) async throws -> GNAPConfiguration.ResourceServer {
        let party: GNAPRegistry.Party?
        switch reference {
        case .instance(let id):
            party = try await registry.party(id: id)
        case .key(let key):
            // A JWK by its RFC 7638 thumbprint, an mtls certificate by its RFC 8705 one.
            guard let thumbprint = try? Self.thumbprint(of: key) else { party = nil; break }
            party = try await registry.party(thumbprint: thumbprint)
        }
        guard let server = party?.resourceServer else { throw GNAPError(.invalidResourceServer, "the resource server is not registered") }
        return server
    }

    /// Resource set registration (RFC 9767 §3.4): a registered resource server, proving its own key,
    /// registers access rights and gets one opaque reference for them that clients can put in their
    /// `access` arrays. The same set registered again by the same RS gets the same reference. An object
    /// may name only the RS's own audiences as `locations` (``meant(_:for:code:)``).
    public func registerResourceSet(_ presented: GNAPPresentedRequest) async throws -> GNAPResourceRegistrationResponse {
        let request = try Self.decode(GNAPResourceRegistrationRequest.self, from: presented.body)
        let server = try await resourceServer(request.resourceServer)
        try await proofs.verify(presented, key: server.key, errorCode: .invalidResourceServer)
        guard !request.access.isEmpty, request.access.count <= Self.maximumRightsPerToken else {
            throw GNAPError(.invalidRequest, "access must list 1 to \(Self.maximumRightsPerToken) rights")
        }
        for right in request.access where right.typeOrReference.isEmpty {
            throw GNAPError(.invalidRequest, "an access right has an empty type or reference")
        }
        let meant = try Self.meant(request.access, for: server, code: .invalidAccess)
        if request.tokenIntrospectionRequired == true { try requireIntrospectable(meant, by: server) }
        let supportedFormats = resourceServerDiscovery.tokenFormatsSupported ?? []
        if let formats = request.tokenFormatsSupported, Set(formats).isDisjoint(with: supportedFormats) {
            throw GNAPError(
                .invalidRequest,
                "none of token_formats_supported is issued here (this AS issues \(supportedFormats.joined(separator: ", ")))"
            )
        }
        let access = try Self.encode(request.access)
        let setHash = Base64URL.encode(SHA256.hash(data: Data((server.id + "\n" + access).utf8)))
        let stored = try await stores.resourceSets.register(
            GNAPResourceSetRecord(
                reference: TokenIssuer.randomIdentifier(),
                resourceServerID: server.id,
                setHash: setHash,
                access: access,
                createdAt: now()
            )
        )
        return GNAPResourceRegistrationResponse(
            resourceReference: stored.reference,
            instanceID: server.id,
            introspectionEndpoint: endpoints.introspection
        )
    }

    /// RFC 9767 §3.4: "If the AS cannot offer introspection to this RS, it MUST return an error". Every token this AS
    /// issues is introspectable at its introspection endpoint; whether this RS may introspect one is the decision point's
    /// (``introspect(_:)`` asks it), so it is asked about the token the set alone yields: the set's `locations` as its
    /// audience (this AS's own when it names none, as for references only), its references as its rights.
    /// - Throws: ``GNAPError`` `invalid_access` (§3.5) when the answer is no.
    func requireIntrospectable(_ rights: [GNAPAccessRight], by server: GNAPConfiguration.ResourceServer) throws(GNAPError) {
        let locations = rights.flatMap { right -> [String] in if case .object(let object) = right { object.locations ?? [] } else { [] } }
        let audience = locations.isEmpty ? [issuerID] : ResourceCheck.unique(locations)
        let question = IntrospectionQuestion(
            party: Self.introspector(server),
            scopes: rights.compactMap { right in if case .reference(let reference) = right { reference } else { nil } },
            audiences: audience,
            tokenType: "access_token",
            holder: nil,
            user: nil
        )
        guard decisions.decide(question).verdict != .permitted else { return }
        throw GNAPError(
            .invalidAccess,
            "token_introspection_required: resource server '\(server.id.prefix(64))' could not introspect the tokens for this set, whose audience would be \(audience.joined(separator: ", ").prefix(512)); register access objects, which take the resource server's own locations (RFC 9767 §3.4)"
        )
    }

    /// Replaces references to registered resource sets in a grant request by the rights they stand
    /// for, meant for the RS that registered them as it is registered now (``meant(_:for:code:)``).
    /// A reference whose RS is no longer registered is refused. Other references are left as they are. The rights
    /// as expanded are then checked against the rich authorization types for `client` (``checkTypedRights(_:clientID:)``):
    /// a registered set holds no type its user may not request.
    func expandRegisteredReferences(in request: GNAPGrantRequest, for client: ClientIdentity) async throws -> GNAPGrantRequest {
        guard let tokens = request.accessToken else { return request }
        var expanded: [GNAPTokenRequest] = []
        for var token in tokens.requests {
            var rights: [GNAPAccessRight] = []
            for right in token.access {
                guard case .reference(let reference) = right, reference.utf8.count <= 64,
                    let set = try await stores.resourceSets.resourceSet(reference: reference),
                    let registered = try? JSONDecoder().decode([GNAPAccessRight].self, from: Data(set.access.utf8))
                else {
                    rights.append(right)
                    continue
                }
                guard let server = try await registry.party(id: set.resourceServerID)?.resourceServer else {
                    throw GNAPError(.invalidRequest, "the resource server that registered an access reference is no longer registered here")
                }
                rights += try Self.meant(registered, for: server, code: .invalidRequest)
            }
            try checkTypedRights(rights, clientID: client.id)
            token.access = rights
            expanded.append(token)
        }
        var result = request
        switch tokens {
        case .single: result.accessToken = expanded.first.map(GNAPTokenRequests.single)
        case .multiple: result.accessToken = .multiple(expanded)
        }
        return result
    }

    /// A registered resource set's rights as meant for the RS that registered it (RFC 9767 §3.4, §6):
    /// an object without `locations` gets the RS's audiences; an object naming a location that is not
    /// one of the RS's audiences is refused, so that no RS registers, and no client obtains through its
    /// reference, a token meant for another RS.
    /// - Parameters:
    ///   - rights: the registered rights.
    ///   - server: the registering RS, as it is registered now.
    ///   - code: `invalid_access` to the registering RS (RFC 9767 §3.5), `invalid_request` to a client.
    /// - Returns: the rights, every object's `locations` among the RS's audiences.
    /// - Throws: ``GNAPError`` with `code`, naming the first location that is not the RS's.
    static func meant(
        _ rights: [GNAPAccessRight],
        for server: GNAPConfiguration.ResourceServer,
        code: GNAPError.Code
    ) throws(GNAPError) -> [GNAPAccessRight] {
        try rights.map { right throws(GNAPError) in
            guard case .object(var object) = right else { return right }
            guard let locations = object.locations else {
                if !server.audiences.isEmpty { object.locations = server.audiences.sorted() }
                return .object(object)
            }
            guard let foreign = locations.first(where: { !server.audiences.contains($0) }) else { return right }
            throw GNAPError(
                code,
                "resource server '\(server.id.prefix(64))' may register only its own locations (\(server.audiences.isEmpty ? "it has none" : server.audiences.sorted().joined(separator: ", "))), not '\(foreign.prefix(256))' (RFC 9767 §3.4)"
            )
        }
    }
}
