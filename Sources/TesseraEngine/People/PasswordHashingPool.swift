public import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A small, bounded pool of dedicated threads for password hashing, so that a 600,000-round PBKDF2
/// (``PasswordHasher``) never runs on an event loop or on Swift's cooperative pool, where it would
/// stall every other request (the token endpoint included) for as long as it runs.
///
/// - At most ``Configuration-swift.struct/concurrency`` hashes run at once, each on its own thread
///   whose scheduling priority is lowered (`nice` +``Configuration-swift.struct/niceness``), so
///   protocol endpoints keep the CPU when sign-ins flood in.
/// - At most ``Configuration-swift.struct/queueLimit`` more wait; beyond that ``submit(_:)`` throws
///   ``Busy`` at once, which the sign-in page answers with 503 and `Retry-After` in microseconds
///   instead of queueing work no one will wait for (RFC 9110 §15.6.4).
///
/// ```swift
/// let pool = PasswordHashingPool(configuration: .init(concurrency: 1, queueLimit: 16))
/// let matches = try await pool.submit { PasswordHasher.verify(password, against: stored) }
/// ```
public final class PasswordHashingPool: Sendable {
    /// How the pool is sized.
    public struct Configuration: Sendable, Hashable {
        /// Hashes running at once (threads). Default: half the cores, at least one.
        public var concurrency: Int
        /// Hashes waiting for a thread (at least 1); one more is refused with ``Busy``.
        public var queueLimit: Int
        /// Added to the threads' nice value (Linux, 0–19): under contention they yield to the event loops.
        public var niceness: Int32

        public init(concurrency: Int = max(1, ProcessInfo.processInfo.activeProcessorCount / 2), queueLimit: Int = 16, niceness: Int32 = 10)
        {
            self.concurrency = concurrency
            self.queueLimit = queueLimit
            self.niceness = niceness
        }
    }

    /// The pool is full: the caller should answer "try again shortly" without doing the work.
    public struct Busy: Error, Sendable, Hashable {}

    private struct Job: Sendable {
        let work: @Sendable () -> Void
    }

    private struct State {
        var queue: [Job] = []
        var head = 0
        var started = false
        var waiting: Int { queue.count - head }
    }

    public let configuration: Configuration
    private let state = Mutex(State())
    private let condition = NSCondition()

    public init(configuration: Configuration = Configuration()) {
        var configuration = configuration
        configuration.concurrency = max(1, min(configuration.concurrency, 64))
        configuration.queueLimit = max(1, configuration.queueLimit)
        self.configuration = configuration
    }

    /// Runs `work` on a pool thread and returns its result.
    ///
    /// - Throws: ``Busy`` when ``Configuration-swift.struct/queueLimit`` hashes are already waiting.
    public func submit<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        startIfNeeded()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job { continuation.resume(returning: work()) }
            condition.lock()
            let accepted = state.withLock { state -> Bool in
                guard state.waiting < configuration.queueLimit else { return false }
                state.queue.append(job)
                return true
            }
            if accepted { condition.signal() }
            condition.unlock()
            if !accepted { continuation.resume(throwing: Busy()) }
        }
    }

    /// Hashes queued or running right now (for metrics and tests).
    public var pending: Int { state.withLock { $0.waiting } }

    private func startIfNeeded() {
        let start = state.withLock { state -> Bool in
            defer { state.started = true }
            return !state.started
        }
        guard start else { return }
        for index in 0..<configuration.concurrency {
            let thread = Thread { [self] in self.runWorker() }
            // Linux keeps at most 15 bytes of a thread name and drops a longer one entirely.
            thread.name = "tessera-kdf-\(index)"
            thread.start()
        }
    }

    /// A worker lives as long as the process: the pool is created once per server.
    private func runWorker() {
        #if canImport(Glibc)
        // On Linux the nice value belongs to the thread: nice(2) is setpriority(PRIO_PROCESS, 0, …), and
        // `who == 0` names the calling thread only, so the event loops keep their priority.
        if configuration.niceness > 0 { _ = nice(min(19, configuration.niceness)) }
        #endif
        while true {
            condition.lock()
            var job: Job?
            while job == nil {
                job = state.withLock { state -> Job? in
                    guard state.head < state.queue.count else { return nil }
                    let next = state.queue[state.head]
                    state.head += 1
                    if state.head > 64, state.head * 2 > state.queue.count {
                        state.queue.removeFirst(state.head)
                        state.head = 0
                    }
                    return next
                }
                if job == nil { condition.wait() }
            }
            condition.unlock()
            job?.work()
        }
    }
}
