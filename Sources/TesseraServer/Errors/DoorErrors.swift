import Hummingbird
import Logging
import TesseraEngine
import TesseraProtocol

/// The one place a thrown error becomes a response: each door's routes sit behind this middleware
/// with their door's answer, so a route body only throws. A protocol refusal is answered as itself,
/// an unreachable store with the door's retry-later answer (the engine's ``StoreOutage``), and
/// anything else with a generic 500 and a log line — never a stack trace or an internal message.
struct DoorErrors: RouterMiddleware {
    typealias Context = TesseraRequestContext

    /// Which door's error format the routes behind this middleware speak.
    enum Door: Sendable {
        /// RFC 6749 §5.2 JSON errors (and RFC 6750 §3 challenges for bearer-protected endpoints).
        case oauth
        /// RFC 9635 §3.6 error objects.
        case gnap
        /// The interaction pages: an error page in the request's language.
        case pages(MessageCatalogs)
    }

    let door: Door

    init(_ door: Door) { self.door = door }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return answer(error, request: request, logger: context.logger)
        }
    }

    /// - Parameters:
    ///   - error: what the route threw.
    ///   - request: the request, for the pages' language.
    ///   - logger: where an outage or an unknown failure is logged.
    /// - Returns: The door's response to `error`.
    func answer(_ error: any Error, request: Request, logger: Logger) -> Response {
        switch (door, error) {
        case (.oauth, let error as OAuthError):
            return OAuthResponses.error(error)
        case (.oauth, let challenge as InsufficientClientAuthorization):
            // draft-kahrer-oauth-client-challenge-protocol-00 §4: 403, no-store.
            return OAuthResponses.json(challenge, status: .forbidden)
        case (.gnap, let error as GNAPError):
            return OAuthResponses.json(GNAPErrorBody(error), status: HTTPResponse.Status(code: error.httpStatus))
        case (.pages(let catalogs), let error as OAuthError):
            let m = catalogs.negotiate(request)
            return PageLayout.message(.wrongTitle, "\(error.message)", m, status: .badRequest, kind: "error")
        default:
            break
        }
        let outage = StoreOutage(error)
        if outage?.isKnown != true {
            logger.error(outage == nil ? "request failed" : "store unavailable", metadata: ["tessera.error": "\(error)"])
        }
        switch door {
        case .oauth:
            return OAuthResponses.error(
                outage == nil ? .serverError() : .temporarilyUnavailable("the authorization server's store is unavailable; retry later")
            )
        case .gnap:
            let text = outage == nil ? "the server could not complete the request" : "the server's store is unavailable; retry later"
            return OAuthResponses.json(
                GNAPErrorBody(GNAPError("request_denied", text)),
                status: outage == nil ? .internalServerError : .serviceUnavailable
            )
        case .pages(let catalogs):
            let m = catalogs.negotiate(request)
            return outage == nil
                ? PageLayout.message(.wrongTitle, .serverFailed, m, status: .internalServerError, kind: "error")
                : PageLayout.message(.databaseTitle, .database, m, status: .serviceUnavailable, kind: "error")
        }
    }
}
