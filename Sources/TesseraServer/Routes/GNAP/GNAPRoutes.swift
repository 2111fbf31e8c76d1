import Foundation
import Hummingbird
import Logging
import TesseraEngine
import TesseraProtocol

/// The GNAP endpoints (RFC 9635 §2, §5, §6, §9; RFC 9767 §3): grant, continuation, token
/// management, AS discovery, RS-facing discovery and introspection.
struct GNAPRoutes: Sendable {
    let service: GNAPService
    let adapter: GNAPRequestAdapter

    func addRoutes(to router: Router<TesseraRequestContext>) {
        router.post("/gnap") { request, context in
            await run(context) { try await encode(service.requestGrant(try await adapter.presented(request, context: context))) }
        }
        router.on("/gnap", method: .options) { _, _ in json(service.discovery, cache: false) }
        for (method, kind) in [(HTTPRequest.Method.post, GNAPService.ContinuationMethod.post), (.patch, .patch), (.delete, .delete)] {
            router.on("/gnap/continue/:grant", method: method) { request, context in
                await run(context) {
                    let id = try context.parameters.require("grant")
                    switch try await service.continueGrant(id: id, method: kind, try await adapter.presented(request, context: context)) {
                    case .response(let response): return encode(response)
                    case .revoked: return Response(status: .noContent, headers: [.cacheControl: "no-store"])
                    }
                }
            }
        }
        router.post("/gnap/token/:manage") { request, context in
            await run(context) {
                encode(
                    try await service.rotateToken(
                        manageID: try context.parameters.require("manage"),
                        try await adapter.presented(request, context: context)
                    )
                )
            }
        }
        router.delete("/gnap/token/:manage") { request, context in
            await run(context) {
                try await service.revokeToken(
                    manageID: try context.parameters.require("manage"),
                    try await adapter.presented(request, context: context)
                )
                return Response(status: .noContent, headers: [.cacheControl: "no-store"])
            }
        }
        router.post("/gnap/introspect") { request, context in
            await run(context) { encode(try await service.introspect(try await adapter.presented(request, context: context))) }
        }
        router.post("/gnap/resource") { request, context in
            await run(context) { encode(try await service.registerResourceSet(try await adapter.presented(request, context: context))) }
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

    /// Every failure becomes a GNAP error object (RFC 9635 §3.6) — never a stack trace.
    private func run(_ context: TesseraRequestContext, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as GNAPError {
            return OAuthResponses.json(GNAPErrorBody(error), status: HTTPResponse.Status(code: error.httpStatus))
        } catch {
            if let outage = StoreOutage(error) {
                if !outage.isKnown { context.logger.error("store unavailable", metadata: ["tessera.error": "\(error)"]) }
                return OAuthResponses.json(
                    GNAPErrorBody(GNAPError("request_denied", "the server's store is unavailable; retry later")),
                    status: .serviceUnavailable
                )
            }
            context.logger.error("GNAP request failed", metadata: ["tessera.error": "\(error)"])
            return OAuthResponses.json(
                GNAPErrorBody(GNAPError("request_denied", "the server could not complete the request")),
                status: .internalServerError
            )
        }
    }
}
