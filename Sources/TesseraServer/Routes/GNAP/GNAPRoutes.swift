import Foundation
import Hummingbird
import Logging
import TesseraEngine
import TesseraProtocol

/// The GNAP endpoints (RFC 9635 §2, §5, §6, §9; RFC 9767 §3): grant, continuation, token
/// management, AS discovery, RS-facing discovery and introspection.
struct GNAPRoutes: Sendable {
    let engine: GrantEngine
    var service: GNAPService { engine.gnap }
    let adapter: GNAPRequestAdapter

    func addRoutes(to router: some RouterMethods<TesseraRequestContext>) {
        router.post("/gnap") { request, context in
            try await encode(engine.requestGNAPGrant(try await adapter.presented(request, context: context)))
        }
        router.on("/gnap", method: .options) { _, _ in json(service.discovery, cache: false) }
        for method in [HTTPRequest.Method.post, .patch, .delete] {
            router.on("/gnap/continue/:grant", method: method) { request, context in
                let id = try context.parameters.require("grant")
                let presented = try await adapter.presented(request, context: context)
                guard let response = try await engine.continueGNAPGrant(id: id, presented) else {
                    return Response(status: .noContent, headers: [.cacheControl: "no-store"])
                }
                return encode(response)
            }
        }
        router.post("/gnap/token/:manage") { request, context in
            encode(
                try await engine.rotateGNAPToken(
                    manageID: try context.parameters.require("manage"),
                    try await adapter.presented(request, context: context)
                )
            )
        }
        router.delete("/gnap/token/:manage") { request, context in
            try await engine.revokeGNAPToken(
                manageID: try context.parameters.require("manage"),
                try await adapter.presented(request, context: context)
            )
            return Response(status: .noContent, headers: [.cacheControl: "no-store"])
        }
        router.post("/gnap/introspect") { request, context in
            encode(try await service.introspect(try await adapter.presented(request, context: context)))
        }
        router.post("/gnap/resource") { request, context in
            encode(try await service.registerResourceSet(try await adapter.presented(request, context: context)))
        }
        router.get("/.well-known/gnap-as-rs") { _, _ in json(service.resourceServerDiscovery, cache: true) }
    }

    private func encode(_ value: some Encodable) -> Response { OAuthResponses.json(value) }

    /// Grant responses, the hot path, through their hand-written JSON (``JSONOutput``).
    private func encode(_ value: GNAPGrantResponse) -> Response {
        guard let bytes = try? value.jsonBytes() else { return OAuthResponses.json(value) }
        return Response(status: .ok, headers: OAuthResponses.noStoreJSON, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private func json(_ value: some Encodable, cache: Bool) -> Response {
        var response = OAuthResponses.json(value)
        if cache { response.headers[.cacheControl] = "public, max-age=300" }
        return response
    }
}
