import GRDB
import Synchronization

/// Group commit for SQLite: concurrent writes share one durable transaction.
///
/// Each caller queues its work and suspends. The first caller to find no batch under way schedules one on GRDB's
/// serial writer; that batch takes everything queued so far, runs each job in its own savepoint (a failing job
/// rolls back alone), commits once, and only then resumes each caller with its job's result — so the durability
/// promise holds with one fsync per batch, not per request. Jobs queued while a batch runs form the next batch,
/// scheduled behind whatever else waits for the writer.
///
/// Only the batch crosses to the writer's queue (issue 22): callers whose jobs join a batch already scheduled
/// wait on their own continuation, instead of each dispatching a block to the writer to find nothing left to do.
final class SQLiteWriteBatcher: Sendable {
    private let writer: any DatabaseWriter
    private let state = Mutex(State())

    private struct State {
        var jobs: [Job] = []
        /// A batch is scheduled on the writer or running: new jobs join the next one it schedules.
        var scheduled = false
    }

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// Runs `work` inside a batched transaction and returns its result once that transaction has committed.
    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                run: { db in
                    do {
                        var value: T?
                        try db.inSavepoint {
                            value = try work(db)
                            return .commit
                        }
                        guard let value else {
                            return { continuation.resume(throwing: StorageError(.unavailable, "write was not performed")) }
                        }
                        return { continuation.resume(returning: value) }
                    } catch {
                        return { continuation.resume(throwing: error) }
                    }
                },
                fail: { error in continuation.resume(throwing: error) }
            )
            let schedule = state.withLock { state in
                state.jobs.append(job)
                guard !state.scheduled else { return false }
                state.scheduled = true
                return true
            }
            if schedule { scheduleBatch() }
        }
    }

    private func scheduleBatch() {
        writer.asyncWriteWithoutTransaction { db in self.runBatch(db) }
    }

    /// Runs on GRDB's serial writer: one transaction for every job queued so far, then the callers are resumed.
    private func runBatch(_ db: Database) {
        let jobs = state.withLock { state in
            defer { state.jobs.removeAll(keepingCapacity: true) }
            return state.jobs
        }
        if !jobs.isEmpty {
            var completions: [@Sendable () -> Void] = []
            completions.reserveCapacity(jobs.count)
            do {
                try db.inTransaction(.immediate) {
                    for job in jobs { completions.append(job.run(db)) }
                    return .commit
                }
                for complete in completions { complete() }
            } catch {
                // The batch did not commit: every job in it failed, whatever it computed; no caller has been resumed.
                for job in jobs { job.fail(error) }
            }
        }
        let more = state.withLock { state in
            if state.jobs.isEmpty { state.scheduled = false }
            return state.scheduled
        }
        // Jobs that arrived meanwhile: the next batch goes behind other writes already waiting for the writer.
        if more { scheduleBatch() }
    }

    private struct Job: Sendable {
        /// Runs the job in its savepoint; returns what resumes its caller once the batch committed.
        let run: @Sendable (Database) -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }
}
