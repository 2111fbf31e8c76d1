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

    /// RFC 9767 §3.4: an RS registers rights for its own locations only. photos-rs naming photos-rs2's
    /// audience would hand clients a reference that yields tokens photos-rs could replay at photos-rs2.
    @Test func aResourceServerCannotRegisterAnotherResourceServersLocations() async throws {
        try await withServer { server in
            let rs = resourceServer(server)
            for locations in [["https://rs2.example/"], ["https://rs.example/", "https://rs2.example/"]] {
                do {
                    _ = try await rs.register([.object(GNAPAccessObject(type: "photo-api", actions: ["read"], locations: locations))])
                    Issue.record("photos-rs registered photos-rs2's location \(locations)")
                } catch let error as GNAPResourceError {
                    #expect(error.gnapError?.code == .invalidAccess)
                    #expect(error.gnapError?.message.contains("https://rs2.example/") == true, "the description names the foreign location")
                }
            }
            let own = try await rs.register([
                .object(GNAPAccessObject(type: "photo-api", actions: ["read"], locations: ["https://rs.example/"]))
            ])
            #expect(!own.resourceReference.isEmpty, "its own location is registered")
        }
    }

    /// A reference is expanded against the registry as it is at the grant request, not as it was at
    /// registration: once its RS is gone, or no longer answers for a location the set names, it is refused.
    @Test func aReferenceFollowsItsResourceServersCurrentRegistration() async throws {
        let server = try await start()
        let rs2 = downstreamRS(server)
        let dropped = try await rs2.register([.object(GNAPAccessObject(type: "photo-api", actions: ["read"]))])
        let moved = try await resourceServer(server).register(
            [.object(GNAPAccessObject(type: "photo-api", actions: ["read"], locations: ["https://rs.example/"]))]
        )
        try await server.process.stop()
        let config = server.directory.appendingPathComponent("tessera.yaml").path
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try text.components(separatedBy: "    - id: photos-rs2")[0]
            .replacingOccurrences(of: "https://rs.example/", with: "https://photos.example/")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let again = try await TesseraProcess(["--config", config, "--data-dir", server.directory.path])
        let gnap = GNAPClient(grantEndpoint: again.baseURL + "/gnap", key: agent, sleep: { _ in })
        do {
            for reference in [dropped.resourceReference, moved.resourceReference] {
                do {
                    _ = try await gnap.requestGrant(
                        GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [.reference(reference)])))
                    )
                    Issue.record("a reference outlived its resource server's registration")
                } catch let error as GNAPClientError {
                    #expect(error.gnapError?.code == .invalidRequest)
                }
            }
        } catch {
            try await again.stop()
            throw error
        }
        try await again.stop()
    }
}
