import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// Fails store calls at once while PostgreSQL is known to be down, instead of letting each wait out
/// the request deadline in the pool's queue (the pool keeps retrying a refused connection and never
/// tells the waiting caller).
///
/// Closed (normal): calls go to the pool. A call still waiting after ``suspicionDelay``, or one that
/// failed as `unavailable`, asks for a probe: one session opened outside the pool, shared by every
/// caller asking at the time. If the probe is refused the breaker opens — waiting calls and new ones
/// fail with `unavailable` (``StorageError/isKnownOutage``) in microseconds, the outage is logged once —
/// and a background probe runs every ``probeInterval`` until the server answers, when the breaker
/// closes and logs how long the outage lasted and how many calls it refused. A probe that merely
/// times out (a slow, not a refusing, server) does not open the breaker.
final class PostgresCircuitBreaker: Sendable {
    /// How long a call may wait before a probe checks that the server is there.
    let suspicionDelay: Duration
    /// How often an open breaker probes.
    let probeInterval: Duration
    /// The least time between two probes while closed (so a loaded pool does not probe per request).
    let probeSpacing: Duration
    private let probe: @Sendable () async -> ProbeResult
    private let logger: Logger
    private let state = Mutex(State())

    enum ProbeResult: Sendable {
        case up
        case down(String)
        case unknown
    }

    private struct State {
        var openSince: ContinuousClock.Instant?
        var refused = 0
        var probing: Task<Bool, Never>?
        var lastProbe: (at: ContinuousClock.Instant, down: Bool)?
        var recovery: Task<Void, Never>?
    }

    init(
        suspicionDelay: Duration = .milliseconds(250),
        probeInterval: Duration = .milliseconds(500),
        probeSpacing: Duration = .seconds(1),
        logger: Logger,
        probe: @escaping @Sendable () async -> ProbeResult
    ) {
        self.suspicionDelay = suspicionDelay
        self.probeInterval = probeInterval
        self.probeSpacing = probeSpacing
        self.logger = logger
        self.probe = probe
    }

    /// The error to fail a call with at once while the breaker is open; `nil` while closed.
    func refusal() -> StorageError? {
        state.withLock { state in
            guard state.openSince != nil else { return nil }
            state.refused += 1
            return Self.outage
        }
    }

    static let outage = StorageError(.unavailable, "PostgreSQL is unreachable (failing fast until it answers)", knownOutage: true)

    /// Whether the server is down: the open breaker says so at once; otherwise a probe decides
    /// (shared with concurrent callers, at most one per ``probeSpacing`` while closed).
    func isDown() async -> Bool {
        let task: Task<Bool, Never>? = state.withLock { state in
            if state.openSince != nil { return nil }
            if let running = state.probing { return running }
            if let last = state.lastProbe, ContinuousClock.now - last.at < probeSpacing, !last.down { return nil }
            let task = Task { await self.check() }
            state.probing = task
            return task
        }
        guard let task else { return state.withLock { $0.openSince != nil } }
        return await task.value
    }

    private func check() async -> Bool {
        let result = await probe()
        let opened: Bool = state.withLock { state in
            state.probing = nil
            guard case .down = result else {
                state.lastProbe = (ContinuousClock.now, false)
                return false
            }
            state.lastProbe = (ContinuousClock.now, true)
            guard state.openSince == nil else { return false }
            state.openSince = .now
            state.refused = 0
            return true
        }
        if opened, case .down(let reason) = result {
            logger.error(
                "PostgreSQL is unreachable: store calls fail at once (503) until it answers; probing every \(probeInterval)",
                metadata: ["tessera.error": "\(reason)"]
            )
            // Weakly held: a breaker whose database is gone (a command that ended) stops probing.
            let interval = probeInterval
            let recovery = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let self, !Task.isCancelled else { return }
                    if await self.closeIfUp() { return }
                }
            }
            state.withLock { $0.recovery = recovery }
        }
        if case .down = result { return true }
        return false
    }

    /// Probes once; when the server answers, closes the breaker and logs the outage's length and refusals.
    private func closeIfUp() async -> Bool {
        guard case .up = await probe() else { return false }
        do {
            let (since, refused) = state.withLock { state -> (ContinuousClock.Instant?, Int) in
                let outcome = (state.openSince, state.refused)
                state.openSince = nil
                state.refused = 0
                state.recovery = nil
                state.lastProbe = (ContinuousClock.now, false)
                return outcome
            }
            let lasted = since.map { ContinuousClock.now - $0 } ?? .zero
            logger.notice("PostgreSQL answers again after \(lasted); \(refused) store calls were refused while it was unreachable")
        }
        return true
    }

    /// Stops the background probe (the pool is shutting down).
    func stop() {
        state.withLock { state in
            state.recovery?.cancel()
            state.recovery = nil
        }
    }
}

extension PostgresCircuitBreaker {
    /// A probe that opens one session outside the pool and runs `SELECT 1`: refused, dropped, or the server
    /// shutting down → down; no answer within `timeout`, or another server error → unknown.
    static func sessionProbe(url: PostgresURL, timeout: Duration, logger: Logger) -> @Sendable () async -> ProbeResult {
        {
            await withTaskGroup(of: ProbeResult.self) { group in
                group.addTask {
                    do {
                        var configuration = PostgresConnection.Configuration(
                            host: url.host,
                            port: url.port,
                            username: url.username,
                            password: url.password,
                            database: url.database,
                            tls: try Self.tls(url.tls)
                        )
                        configuration.options.connectTimeout = .nanoseconds(
                            Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
                        )
                        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                        do {
                            _ = try await connection.run("SELECT 1", logger: logger)
                        } catch {
                            try? await connection.close()
                            throw error
                        }
                        try? await connection.close()
                        return .up
                    } catch let error as PSQLError where error.code == .server {
                        // The server answered: down only when it says it is shutting down, starting up or
                        // cannot take connections (57P, 08); a full max_connections (53300) or a refused
                        // login does not stop the pool's open connections from working.
                        let state = error.serverInfo?[.sqlState] ?? ""
                        return state.hasPrefix("57P") || state.hasPrefix("08") ? .down("SQLSTATE \(state)") : .unknown
                    } catch {
                        return .down("\(PostgresDatabase.map(error))")
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return .unknown
                }
                let first = await group.next() ?? .unknown
                group.cancelAll()
                return first
            }
        }
    }

    private static func tls(_ mode: PostgresURL.TLSMode) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }
}
