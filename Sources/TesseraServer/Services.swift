import Foundation
import Logging
import ServiceLifecycle
import TesseraEngine
import TesseraStorage

/// Deletes token and replay records that expired more than a day ago, every ten minutes.
struct ExpiredTokenSweeper: Service {
    let tokens: any TokenStore
    let now: @Sendable () -> Date
    let logger: Logger
    /// Interactions and browser sessions are swept with the tokens.
    var gnap: GNAPService?
    var people: PeopleService?
    /// Held authorization requests and codes (kept a day past expiry so a late replay is still recognised).
    var authorizationCodes: (any AuthorizationCodeStore)?
    var interval: Duration = .seconds(600)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                do {
                    var removed = try await tokens.deleteExpired(before: now().addingTimeInterval(-86_400))
                    removed += try await gnap?.sweepInteractions(before: now().addingTimeInterval(-86_400)) ?? 0
                    removed += try await people?.sweepSessions(before: now()) ?? 0
                    removed += try await authorizationCodes?.deleteExpiredAuthorizations(before: now().addingTimeInterval(-86_400)) ?? 0
                    logger.debug("swept expired records", metadata: ["tessera.removed": "\(removed)"])
                } catch {
                    logger.warning("could not sweep expired records", metadata: ["tessera.error": "\(error)"])
                }
            }
        }
    }
}
