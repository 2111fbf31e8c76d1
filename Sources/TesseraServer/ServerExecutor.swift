import Foundation
import NIOCore
import NIOPosix

/// Where `tessera serve` runs Swift concurrency's jobs (issue 22).
///
/// By default a request crosses thread pools twice on the way in and out: SwiftNIO's event loop reads it, Swift
/// concurrency's global executor (a second pool of threads) runs the handler, and the response goes back to the
/// event loop. Each crossing is a futex wake-up; on two cores the profile showed about a quarter of the server's
/// CPU in the scheduler. Installing NIO's event loops as the global executor runs the handlers on the threads that
/// own the connections, so a request stays on one thread from read to write (the store's own queues excepted).
public enum ServerExecutor {
    /// The environment variable that keeps Swift's own global executor (`TESSERA_EXECUTOR=default`), for comparison.
    public static let environmentVariable = "TESSERA_EXECUTOR"

    /// Makes NIO's singleton event loop group Swift concurrency's global executor, once, before any other work;
    /// Hummingbird serves on that same group.
    /// - Returns: Whether the event loops now run Swift concurrency's jobs.
    @discardableResult
    public static func adoptEventLoops() -> Bool {
        guard ProcessInfo.processInfo.environment[environmentVariable] != "default" else { return false }
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
