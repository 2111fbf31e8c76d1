import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraEngine
import TesseraProtocol

/// The client registration endpoint (RFC 7591 §3) and the client configuration endpoint (RFC 7592
/// §2), mounted only when `registration:` is not `off`. Registrations are rate-limited per client
/// address with the sign-in throttle (every attempt counts, so a flood of invalid requests is
/// slowed as much as a flood of valid ones).
struct RegistrationRoute: Sendable {
    /// Larger than any reasonable metadata (20 redirect URIs and a key set fit in a few KiB).
    static let maximumBodySize = 16 * 1024

    let service: ClientRegistrationService
    let throttle: AttemptThrottle
    let now: @Sendable () -> Date

    init(service: ClientRegistrationService, now: @escaping @Sendable () -> Date) {
        self.service = service
        self.throttle = AttemptThrottle(limit: service.configuration.attemptsPerAddress, window: service.configuration.window)
        self.now = now
    }

    func addRoutes(to router: some RouterMethods<TesseraRequestContext>) {
        router.post(RouterPath(Endpoints.registration)) { request, context in
            let address = ClientAddressKey.of(context.channel.remoteAddress)
            guard throttle.begin(address, at: now()) else {
                var response = OAuthResponses.json(
                    OAuthErrorBody(OAuthError(.invalidRequest, "too many registrations from this address; retry later")),
                    status: .tooManyRequests
                )
                response.headers[.retryAfter] = String(Int(throttle.window))
                return response
            }
            let body = try await Self.json(request)
            let registered = try await service.register(body, initialAccessToken: try Self.bearer(request))
            var response = OAuthResponses.json(registered, status: .created)
            response.headers[.location] = registered.registrationClientURI
            return response
        }
        let configuration = RouterPath(Endpoints.registration + "/:client_id")
        router.get(configuration) { request, context in
            let id = try context.parameters.require("client_id")
            return OAuthResponses.json(try await service.read(clientID: id, accessToken: try Self.bearer(request)))
        }
        router.put(configuration) { request, context in
            let id = try context.parameters.require("client_id")
            let token = try Self.bearer(request)
            let body = try await Self.json(request)
            return OAuthResponses.json(try await service.update(clientID: id, accessToken: token, body: body))
        }
        router.delete(configuration) { request, context in
            let id = try context.parameters.require("client_id")
            try await service.delete(clientID: id, accessToken: try Self.bearer(request))
            return Response(status: .noContent, headers: [.cacheControl: "no-store"])
        }
    }

    /// The `Authorization: Bearer` token, if one was sent (RFC 6750 §2.1).
    private static func bearer(_ request: Request) throws(OAuthError) -> String? {
        let values = request.headers[values: .authorization]
        guard !values.isEmpty else { return nil }
        guard values.count == 1, values[0].lowercased().hasPrefix("bearer ") else {
            throw OAuthError(.invalidToken, "send the token as Authorization: Bearer")
        }
        return String(values[0].dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    /// RFC 7591 §3.1: the metadata is a JSON document.
    private static func json(_ request: Request) async throws -> Data {
        guard let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased(),
            type == "application/json"
        else { throw OAuthError.invalidRequest("the request body must be application/json (RFC 7591 §3.1)") }
        var request = request
        do {
            return Data(try await request.collectBody(upTo: maximumBodySize).readableBytesView)
        } catch {
            throw OAuthError.invalidRequest("the request body is larger than \(maximumBodySize) bytes")
        }
    }
}
