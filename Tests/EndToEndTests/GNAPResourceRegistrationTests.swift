import Foundation
import HTTPMessageSignatures
import TesseraClient
import TesseraProtocol
import TesseraResource
import Testing

/// RFC 9767 §3.4 over real HTTP: the resource server registers a resource set with its own key,
/// hands the reference to a client, the client asks for it by reference, and the token carries
/// the registered rights, meant for that RS.
extension GNAPClientEndToEndTests {
    @Test func aResourceSetRegisteredByTheRSIsGrantedByReference() async throws {
        try await withServer { server in
            let rs = resourceServer(server)
            let rights: [GNAPAccessRight] = [
                .object(GNAPAccessObject(type: "photo-api", actions: ["read", "print"])),
                .object(GNAPAccessObject(type: "billing", actions: ["read"], locations: ["https://rs.example/"])),
            ]
            let registered = try await rs.register(rights)
            #expect(registered.instanceID == "photos-rs")
            #expect(registered.introspectionEndpoint == server.base + "/gnap/introspect")
            #expect(registered.resourceReference.count >= 40, "a random reference that leaks nothing")
            let again = try await rs.register(rights)
            #expect(again.resourceReference == registered.resourceReference, "the same set gets the same reference")
            let other = try await rs.register([.object(GNAPAccessObject(type: "photo-api", actions: ["read"]))])
            #expect(other.resourceReference != registered.resourceReference)

            let discovered = try await GNAPResourceServer.discover(asBaseURL: server.base)
            #expect(discovered.resourceRegistrationEndpoint == server.base + "/gnap/resource")

            // The client knows only the reference (from the RS's challenge or documentation).
            let gnap = client(server)
            let grant = try await gnap.requestGrant(
                GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [.reference(registered.resourceReference)])))
            )
            #expect(!grant.isPending, "the instance is allowed photo-api and billing, which the reference stands for")
            let token = try #require(grant.tokens.first)
            let claims = try Self.claims(token.value)
            let audience = (claims["aud"] as? [String]) ?? [(claims["aud"] as? String) ?? ""]
            #expect(audience == ["https://rs.example/"])
            let access = try #require(claims["access"] as? [[String: Any]])
            #expect(access.map { $0["type"] as? String } == ["photo-api", "billing"])
            #expect(
                access[0]["locations"] as? [String] == ["https://rs.example/"],
                "rights without locations are meant for the registering RS"
            )

            var request = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
            try gnap.authorize(&request, with: token)
            guard
                case .authorized(let granted) = await rs.verify(
                    request,
                    requiredAccess: [.object(GNAPAccessObject(type: "photo-api", actions: ["print"]))]
                )
            else {
                Issue.record("the RS must accept a token granted through its own reference")
                return
            }
            #expect(granted.allows("photo-api", action: "print"))
        }
    }

    @Test func onlyARegisteredResourceServerProvingItsKeyMayRegister() async throws {
        try await withServer { server in
            var configuration = GNAPResourceServer.Configuration(asBaseURL: server.base, resourceServer: .instance("photos-rs"))
            configuration.introspectionCacheLifetime = .zero
            let impostor = GNAPResourceServer(configuration: configuration, key: GNAPKeyPair.generate(.ed25519, keyID: "rs-1"))
            await #expect(throws: (any Error).self) { try await impostor.register([.reference("anything")]) }
            var unknown = configuration
            unknown.resourceServer = .instance("nobody")
            let stranger = GNAPResourceServer(configuration: unknown, key: GNAPKeyPair.generate(.ed25519, keyID: "rs-2"))
            await #expect(throws: (any Error).self) { try await stranger.register([.reference("anything")]) }
            await #expect(throws: (any Error).self) {
                try await resourceServer(server).register([.reference("photos")], tokenFormats: ["paseto"])
            }
        }
    }
}
