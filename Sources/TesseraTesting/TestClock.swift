public import Foundation
import Synchronization

/// A wall clock tests move by hand (STYLE §13: inject time, never sleep).
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Fixtures.epoch) { current = Mutex(start) }

    public var now: Date { current.withLock { $0 } }
    public func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    /// The closure to hand to code under test.
    public var closure: @Sendable () -> Date { { self.now } }
}
