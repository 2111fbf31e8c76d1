import GRDB
import Synchronization

/// Group commit for SQLite: concurrent writes share one durable transaction.
///
/// Each caller queues its work and then asks GRDB's serial writer for a transaction. The first
/// transaction to run drains everything queued so far, runs each job in its own savepoint (a
/// failing job rolls back alone) and commits once; callers whose jobs were drained find nothing
/// left and return at once. Because
/// GRDB runs writes one after another, a caller's `write` returns only after the transaction
/// holding its job committed — so the durability promise holds with one fsync per batch, not
/// per request.
final class SQLiteWriteBatcher: Sendable {
    private let writer: any DatabaseWriter
    private let pending = Mutex<[Job]>([])

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// Runs `work` inside a batched transaction and returns its result once that transaction has committed.
    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let outcome = Outcome<T>()
        let job = Job(
            run: { db in
                do {
                    var value: T?
                    try db.inSavepoint {
                        value = try work(db)
                        return .commit
                    }
                    if let value { outcome.set(.success(value)) }
                } catch {
                    outcome.set(.failure(error))
                }
            },
            fail: { error in outcome.set(.failure(error)) }
        )
        pending.withLock { $0.append(job) }
        try await writer.writeWithoutTransaction { db in
            let jobs = self.pending.withLock { queue in
                defer { queue.removeAll(keepingCapacity: true) }
                return queue
            }
            guard !jobs.isEmpty else { return }
            do {
                try db.inTransaction(.immediate) {
                    for job in jobs { job.run(db) }
                    return .commit
                }
            } catch {
                // The batch did not commit: every job in it failed, whatever it computed. This runs on
                // GRDB's serial writer, so no caller of this batch can read its outcome before this.
                for job in jobs { job.fail(error) }
            }
        }
        guard let result = outcome.get() else {
            throw StorageError(.unavailable, "write was not performed")
        }
        return try result.get()
    }

    private struct Job: Sendable {
        let run: @Sendable (Database) -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private final class Outcome<T: Sendable>: Sendable {
        private let value = Mutex<Result<T, any Error>?>(nil)
        func set(_ result: Result<T, any Error>) { value.withLock { $0 = result } }
        func get() -> Result<T, any Error>? { value.withLock { $0 } }
    }
}
