import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The PostgreSQL connection pool behind every PostgreSQL store, with the rules every call follows:
/// a deadline (``PostgresURL/requestTimeout``) so that a vanished server costs seconds, not minutes,
/// and one mapping of driver errors to ``StorageError`` (`unavailable` → HTTP 503, `conflict`).
///
/// The pool is a `PostgresClient`, which only hands out connections while its `run()` is active:
/// ``service`` runs it, inside the application's service group or ``TesseraDatabase/withConnection(url:logger:_:)``.
final class PostgresDatabase: Sendable {
    let client: PostgresClient
    let url: PostgresURL
    let logger: Logger
    /// Fails calls at once while the server is known to be down (see ``PostgresCircuitBreaker``).
    let breaker: PostgresCircuitBreaker

    init(url: PostgresURL, logger: Logger) {
        var configuration = PostgresClient.Configuration(
            host: url.host,
            port: url.port,
            username: url.username,
            password: url.password,
            database: url.database,
            tls: Self.tls(url.tls)
        )
        configuration.options.connectTimeout = url.connectTimeout
        configuration.options.maximumConnections = url.maxConnections
        configuration.options.minimumConnections = 0
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(15))
        var parameters: [(String, String)] = [
            ("statement_timeout", "\(Self.milliseconds(url.statementTimeout))"),
            ("application_name", "tessera"),
        ]
        if let schema = url.schema { parameters.append(("search_path", schema)) }
        configuration.options.additionalStartupParameters = parameters
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.url = url
        self.logger = logger
        self.breaker = PostgresCircuitBreaker(
            logger: logger,
            probe: PostgresCircuitBreaker.sessionProbe(url: url, timeout: min(url.connectTimeout, url.requestTimeout), logger: logger)
        )
    }

    /// Runs the pool until cancelled or, in a service group, until graceful shutdown.
    var service: any Service { client }

    /// Runs `body` with one pooled connection, under the request deadline; errors mapped to ``StorageError``.
    @discardableResult
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await deadline(url.requestTimeout) {
            try await self.client.withConnection { connection in try await body(connection) }
        }
    }

    /// Runs `body` in one transaction (committed before this returns), under the request deadline.
    @discardableResult
    func transaction<T: Sendable>(
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        return try await deadline(timeout ?? url.requestTimeout) {
            // A serialization failure or deadlock rolled everything back: running again is safe.
            var attempt = 1
            while true {
                do {
                    return try await self.client.withConnection { connection in
                        try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
                    }
                } catch  where attempt < 3 && Self.isRetryable(error) {
                    attempt += 1
                }
            }
        }
    }

    /// SQLSTATE 40001 (serialization failure) and 40P01 (deadlock detected): the transaction was
    /// rolled back as a whole and may simply run again.
    static func isRetryable(_ error: any Error) -> Bool {
        var error = error
        if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError ?? transaction.commitError {
            error = inner
        }
        guard let error = error as? PSQLError, error.code == .server else { return false }
        let state = error.serverInfo?[.sqlState]
        return state == "40001" || state == "40P01"
    }

    /// Answers whether the server can run `SELECT 1` within the deadline (`/readyz`).
    func isReachable() async -> Bool {
        do {
            return try await withConnection { connection in
                let rows = try await connection.query("SELECT 1::INT4", logger: self.logger)
                for try await value in rows.decode(Int32.self) { return value == 1 }
                return false
            }
        } catch {
            return false
        }
    }

    /// Runs `operation`, failing with `unavailable` when it does not finish within the request timeout —
    /// or at once when the circuit breaker knows the server is down: before the call, and while it
    /// waits (a probe after ``PostgresCircuitBreaker/suspicionDelay``).
    ///
    /// The caller gets its answer at the deadline even when the operation cannot stop then: a statement already
    /// on the wire to a vanished server ends only through `statement_timeout` or the connection closing. So the
    /// operation runs in a task of its own that is cancelled, not awaited, at the deadline (a task group would
    /// wait for it, holding the request — and a graceful shutdown — open past the deadline).
    private func deadline<T: Sendable>(
        _ timeout: Duration,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let breaker = self.breaker
        if let refusal = breaker.refusal() { throw refusal }
        let outcome = DeadlineOutcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                outcome.install(continuation)
                let work = Task {
                    do {
                        outcome.finish(.success(try await operation()))
                    } catch {
                        let mapped = Self.map(error)
                        // A dropped connection: check at once whether the server is gone, so the next calls need not wait.
                        if (mapped as? StorageError)?.code == .unavailable { Task { _ = await breaker.isDown() } }
                        outcome.finish(.failure(mapped))
                    }
                }
                let timer = Task {
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    outcome.finish(.failure(StorageError(.unavailable, "PostgreSQL did not answer within \(timeout)")))
                    work.cancel()
                }
                let suspicion = Task {
                    try? await Task.sleep(for: breaker.suspicionDelay)
                    guard !Task.isCancelled else { return }
                    if await breaker.isDown(), let refusal = breaker.refusal() {
                        outcome.finish(.failure(refusal))
                        work.cancel()
                    }
                }
                outcome.onFinish {
                    timer.cancel()
                    suspicion.cancel()
                }
            }
        } onCancel: {
            outcome.finish(.failure(CancellationError()))
        }
    }

    /// Driver errors as ``StorageError``: connection trouble and transient server states are
    /// `unavailable` (retry later); a unique-key violation is `conflict`; anything else (a bug in a
    /// statement, say) is passed on unchanged and answered as a plain server error.
    static func map(_ error: any Error) -> any Error {
        switch error {
        case let error as StorageError:
            return error
        case let error as PostgresTransactionError:
            if let inner = error.closureError { return map(inner) }
            if let inner = error.beginError ?? error.commitError { return map(inner) }
            return StorageError(.unavailable, "PostgreSQL transaction failed")
        case let error as PSQLError:
            if error.code == .server {
                let state = error.serverInfo?[.sqlState] ?? ""
                if state == "23505" { return StorageError(.conflict, "a row with this key already exists") }
                // 08: connection exception, 53: insufficient resources, 57: operator intervention
                // (shutdown, statement timeout), 40001/40P01: serialization failure and deadlock.
                if state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57") || state == "40001" || state == "40P01" {
                    return StorageError(.unavailable, "PostgreSQL is unavailable (SQLSTATE \(state))")
                }
                return error
            }
            if error.code == .tooManyParameters || error.code == .invalidCommandTag {
                return error
            }
            return StorageError(.unavailable, "PostgreSQL connection failed (\(error.code))")
        case is PostgresDecodingError:
            return StorageError(.corrupt, "a PostgreSQL row could not be decoded")
        case is CancellationError:
            return error
        default:
            // Channel, socket and pool errors: the server cannot be used right now.
            return StorageError(.unavailable, "PostgreSQL connection failed")
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    private static func tls(_ mode: PostgresURL.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }
}

/// The one answer a deadline-bound call gives: the first of the operation's result, the deadline and the caller's
/// cancellation resumes the caller; later ones are dropped.
private final class DeadlineOutcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var finished = false
        var onFinish: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let early: Result<T, any Error>? = state.withLock { state in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// Runs `action` once the outcome is known (at once if it already is).
    func onFinish(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state in
            if state.finished { return true }
            state.onFinish = action
            return false
        }
        if runNow { action() }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, action): (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) = state.withLock { state in
            guard !state.finished else { return (nil, nil) }
            state.finished = true
            let action = state.onFinish
            state.onFinish = nil
            guard let continuation = state.continuation else {
                state.early = result
                return (nil, action)
            }
            state.continuation = nil
            return (continuation, action)
        }
        continuation?.resume(with: result)
        action?()
    }
}
