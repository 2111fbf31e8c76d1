import Foundation
import Synchronization

/// Counts failed attempts per key (a username, a session) in a sliding window and says when a key
/// has had too many: sign-in and user-code guessing are slowed to a few tries per window
/// (RFC 9635 §4.1.2 "too many attempts"). In memory, per instance; bounded in size.
final class AttemptThrottle: Sendable {
    let limit: Int
    let window: TimeInterval
    private let failures = Mutex<[String: [Date]]>([:])
    private static let maximumKeys = 10_000

    init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Whether `key` may try now.
    func allows(_ key: String, at now: Date) -> Bool {
        failures.withLock { table in
            let recent = (table[key] ?? []).filter { now.timeIntervalSince($0) < window }
            table[key] = recent.isEmpty ? nil : recent
            return recent.count < limit
        }
    }

    /// Counts an attempt *before* its outcome is known and says whether it may go ahead, in one step: an
    /// attempt that waits for a slow check (a password hash) holds its place, so concurrent attempts cannot
    /// all pass ``allows(_:at:)`` before the first failure is recorded. Call ``forgive(_:)`` when it succeeds.
    func begin(_ key: String, at now: Date) -> Bool {
        guard allows(key, at: now) else { return false }
        recordFailure(key, at: now)
        return true
    }

    /// Takes back the most recent attempt counted for `key` (it did not fail after all).
    func forgive(_ key: String) {
        failures.withLock { table in
            guard var dates = table[key], !dates.isEmpty else { return }
            dates.removeLast()
            table[key] = dates.isEmpty ? nil : dates
        }
    }

    func recordFailure(_ key: String, at now: Date) {
        failures.withLock { table in
            if table.count >= Self.maximumKeys {
                table = table.filter { _, dates in dates.contains { now.timeIntervalSince($0) < window } }
                if table.count >= Self.maximumKeys, let oldest = table.min(by: { ($0.value.last ?? now) < ($1.value.last ?? now) })?.key {
                    table[oldest] = nil
                }
            }
            table[key, default: []].append(now)
        }
    }

    func reset(_ key: String) {
        _ = failures.withLock { $0.removeValue(forKey: key) }
    }
}
