public import Logging
public import ServiceLifecycle

/// Reloads the key ring periodically, so a key rotated by another instance or the CLI is used and published.
public struct KeyRefreshService: Service {
    let keyRing: KeyRing
    let interval: Duration
    let logger: Logger

    public init(keyRing: KeyRing, interval: Duration = .seconds(10), logger: Logger) {
        self.keyRing = keyRing
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                do {
                    try await keyRing.reload()
                } catch {
                    logger.warning("could not reload signing keys", metadata: ["tessera.error": "\(error)"])
                }
            }
        }
    }
}
