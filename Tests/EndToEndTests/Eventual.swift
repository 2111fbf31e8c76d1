import Synchronization

/// A value that arrives once (a child's exit status, a log line) and that any number of tasks await
/// with a deadline, suspended rather than parked on a thread.
///
/// The deadline is a `Task.sleep` of its own, so a waiter gives up after `timeout` of wall-clock time
/// however long the wait, and the value's producer (a Foundation callback thread, a dispatch source)
/// never needs a thread of the cooperative pool.
final class Eventual<Value: Sendable>: Sendable {
    private struct Waiter {
        let continuation: CheckedContinuation<Value?, Never>
        var timer: Task<Void, Never>?
    }

    private struct State {
        var value: Value?
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    /// Sets the value and wakes every waiter; later calls are ignored (the first value stands).
    func fulfil(_ value: Value) {
        let woken: [Waiter] = state.withLock { state in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: value)
        }
    }

    /// The value now, if it has arrived.
    var current: Value? { state.withLock { $0.value } }

    /// The value, or nil when it has not arrived within `timeout`.
    func value(within timeout: Duration) async -> Value? {
        await withCheckedContinuation { continuation in
            let id: Int? = state.withLock { state in
                guard state.value == nil else { return nil }
                defer { state.nextID += 1 }
                state.waiters[state.nextID] = Waiter(continuation: continuation)
                return state.nextID
            }
            guard let id else {
                continuation.resume(returning: current)
                return
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                self.expire(id)
            }
            let alreadyWoken = state.withLock { state in
                guard state.waiters[id] != nil else { return true }
                state.waiters[id]?.timer = timer
                return false
            }
            if alreadyWoken { timer.cancel() }
        }
    }

    private func expire(_ id: Int) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation.resume(returning: nil)
    }
}
