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
    /// `access` arrays. The same set registered again by the same RS gets the same reference.
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

    /// Replaces references to registered resource sets in a grant request by the rights they stand
    /// for. Objects without `locations` get the registering RS's audiences, so the token is meant
    /// for that RS. Other references are left as they are.
    func expandRegisteredReferences(in request: GNAPGrantRequest) async throws -> GNAPGrantRequest {
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
                let audiences = try await registry.party(id: set.resourceServerID)?.resourceServer?.audiences.sorted() ?? []
                for item in registered {
                    guard case .object(var object) = item, object.locations == nil, !audiences.isEmpty else {
                        rights.append(item)
                        continue
                    }
                    object.locations = audiences
                    rights.append(.object(object))
                }
            }
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
}
