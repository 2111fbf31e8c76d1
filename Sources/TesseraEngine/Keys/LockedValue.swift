import Synchronization

/// A value behind a lock that an actor shares with readers who must not enter it (issue 22: ``KeyRing/currentSigner()``
/// and ``TrustKeys``'s configured key sets are read on every request; a hop onto the actor and back cost more than the
/// read).
final class LockedValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    /// - Parameter value: The initial value.
    init(_ value: Value) {
        mutex = Mutex(value)
    }

    /// - Returns: A copy of the current value.
    func get() -> Value {
        mutex.withLock { $0 }
    }

    /// Replaces the value.
    /// - Parameter value: The new value.
    func set(_ value: Value) {
        mutex.withLock { $0 = value }
    }

    /// Changes the value in place under the lock.
    /// - Parameter change: The change.
    func update(_ change: (inout Value) -> Void) {
        mutex.withLock { change(&$0) }
    }
}
