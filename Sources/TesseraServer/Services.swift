import Foundation
import Logging
import ServiceLifecycle
import TesseraStorage

/// Deletes token and replay records that expired more than a day ago, every ten minutes.
struct ExpiredTokenSweeper: Service {
    let tokens: any TokenStore
    let now: @Sendable () -> Date
    let logger: Logger
    var interval: Duration = .seconds(600)

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                do {
                    let removed = try await tokens.deleteExpired(before: now().addingTimeInterval(-86_400))
                    logger.debug("swept expired records", metadata: ["tessera.removed": "\(removed)"])
                } catch {
                    logger.warning("could not sweep expired records", metadata: ["tessera.error": "\(error)"])
                }
            }
        }
    }
}
