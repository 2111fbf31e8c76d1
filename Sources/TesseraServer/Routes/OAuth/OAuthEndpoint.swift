import Hummingbird
import Logging
import TesseraEngine
import TesseraProtocol

/// Runs an OAuth endpoint body and turns every failure into an RFC 6749 §5.2 response:
/// protocol refusals as themselves, an unreachable store as `temporarily_unavailable` (503), and
/// anything else as a bare `server_error` — never a stack trace.
enum OAuthEndpoint {
    static func run(logger: Logger, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as OAuthError {
            return OAuthResponses.error(error)
        } catch let challenge as InsufficientClientAuthorization {
            // draft-kahrer-oauth-client-challenge-protocol-00 §4: 403, no-store.
            return OAuthResponses.json(challenge, status: .forbidden)
        } catch {
            if let outage = StoreOutage(error) {
                if !outage.isKnown { logger.error("store unavailable", metadata: ["tessera.error": "\(error)"]) }
                return OAuthResponses.error(.temporarilyUnavailable("the authorization server's store is unavailable; retry later"))
            }
            logger.error("request failed", metadata: ["tessera.error": "\(error)"])
            return OAuthResponses.error(.serverError())
        }
    }
}
