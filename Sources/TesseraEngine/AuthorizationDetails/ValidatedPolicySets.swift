import Cedar
import Synchronization

/// Requested Cedar policy sets that already passed a profile's checks, by their exact text (issue 22).
///
/// Parsing and schema validation were a fifth of a RAR request's CPU, and a client sends the same `policySet` text
/// request after request. Both are pure functions of the text and the profile (its schema and limits), so a set that
/// passed once passes again unchanged; the per-party narrowing, the delegation decisions and the expiry still run on
/// every request. Only successes are kept, at most ``capacity`` texts of at most ``maximumTextLength`` bytes, and the
/// cache empties when full.
final class ValidatedPolicySets: Sendable {
    /// The most texts kept.
    static let capacity = 256
    /// Longer texts are checked every time rather than kept.
    static let maximumTextLength = 16 * 1024

    private let sets = Mutex<[String: PolicySet]>([:])

    /// The set checked earlier from exactly `text`, if any.
    /// - Parameter text: The requested `policySet` text.
    /// - Returns: The parsed and validated set, or `nil`.
    func set(for text: String) -> PolicySet? {
        sets.withLock { $0[text] }
    }

    /// Remembers that `text` parsed into `set` and passed every check of the profile.
    /// - Parameters:
    ///   - set: The parsed, validated set.
    ///   - text: Its exact text.
    func remember(_ set: PolicySet, for text: String) {
        guard text.utf8.count <= Self.maximumTextLength else { return }
        sets.withLock { sets in
            if sets.count >= Self.capacity { sets.removeAll(keepingCapacity: true) }
            sets[text] = set
        }
    }
}
