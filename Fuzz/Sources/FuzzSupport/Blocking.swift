import Foundation

/// Runs an async body to completion from libFuzzer's synchronous callback.
///
/// Only for harnesses: the fuzzer thread blocks on a semaphore while a task runs the body on the cooperative pool,
/// which is the one place blocking a thread is acceptable (nothing else runs in the process).
public func fuzzBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.store(.success(try await body())) } catch { box.store(.failure(error)) }
        done.signal()
    }
    done.wait()
    return box.load()
}

/// Invariant: written once by the task before `done.signal()`, read once after `done.wait()`; the lock orders both.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func store(_ value: Result<T, any Error>) { lock.withLock { result = value } }
    func load() -> Result<T, any Error> { lock.withLock { result } ?? .failure(CancellationError()) }
}
