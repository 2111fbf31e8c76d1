public import Foundation
public import TesseraEngine

/// How the sign-in page defends itself against guessing and floods (docs/ROBUSTNESS.md, "Sign-in").
public struct SignInConfiguration: Sendable, Hashable {
    /// Wrong passwords per canonical username per ``window`` (then 429 for that name).
    public var attemptsPerName = 5
    /// Failed sign-ins (wrong password, unknown or impossible name) per client address per ``window``
    /// (then 429 for that address). IPv6 addresses count per /64.
    public var attemptsPerAddress = 30
    /// The sliding window of both budgets, in seconds.
    public var window: TimeInterval = 300
    /// Seconds a sign-in refused for a spent budget waits before its 429 is sent (0 sends it at once). The wait
    /// costs no CPU; it bounds a flood from one address to one refusal per connection per delay.
    public var refusalDelay: TimeInterval = 1
    /// The bounded pool that runs the password KDF off the event loops.
    public var hashing = PasswordHashingPool.Configuration()
    /// Sessions created by `GET /signin` kept at most; the oldest go first.
    public var anonymousSessions = PeopleService.defaultAnonymousSessionLimit

    public init() {}
}

extension ServerConfiguration {
    /// Checks the `sign_in:` settings. - Throws: ``ConfigurationError`` naming the field.
    func validateSignIn() throws(ConfigurationError) {
        try require((1...1000).contains(signIn.attemptsPerName), "sign_in.attempts_per_name", "must be 1 to 1000")
        try require((1...100_000).contains(signIn.attemptsPerAddress), "sign_in.attempts_per_address", "must be 1 to 100000")
        try require((1...86_400).contains(signIn.window), "sign_in.window", "must be 1 to 86400 seconds")
        try require((0...10).contains(signIn.refusalDelay), "sign_in.refusal_delay", "must be 0 to 10 seconds")
        try require((1...64).contains(signIn.hashing.concurrency), "sign_in.hashing_concurrency", "must be 1 to 64")
        try require((1...10_000).contains(signIn.hashing.queueLimit), "sign_in.hashing_queue", "must be 1 to 10000")
        try require((100...10_000_000).contains(signIn.anonymousSessions), "sign_in.anonymous_sessions", "must be 100 to 10000000")
    }
}

/// The `sign_in:` section of the config file:
///
/// ```yaml
/// sign_in:
///   attempts_per_name: 5         # wrong passwords per username per window
///   attempts_per_address: 30     # failed sign-ins per client address (IPv6: per /64) per window
///   window: 300                  # seconds
///   refusal_delay: 1             # seconds a throttled sign-in waits for its 429
///   hashing_concurrency: 1       # PBKDF2 threads (default: half the cores)
///   hashing_queue: 16            # sign-ins waiting for a thread; more get 503 at once
///   anonymous_sessions: 10000    # sign-in form sessions kept at most
/// ```
struct FileSignIn: StrictlyDecodable {
    var attemptsPerName: Int?
    var attemptsPerAddress: Int?
    var window: Double?
    var refusalDelay: Double?
    var hashingConcurrency: Int?
    var hashingQueue: Int?
    var anonymousSessions: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case attemptsPerName = "attempts_per_name"
        case attemptsPerAddress = "attempts_per_address"
        case window
        case refusalDelay = "refusal_delay"
        case hashingConcurrency = "hashing_concurrency"
        case hashingQueue = "hashing_queue"
        case anonymousSessions = "anonymous_sessions"
    }

    func apply(to signIn: inout SignInConfiguration) {
        if let attemptsPerName { signIn.attemptsPerName = attemptsPerName }
        if let attemptsPerAddress { signIn.attemptsPerAddress = attemptsPerAddress }
        if let window { signIn.window = window }
        if let refusalDelay { signIn.refusalDelay = refusalDelay }
        if let hashingConcurrency { signIn.hashing.concurrency = hashingConcurrency }
        if let hashingQueue { signIn.hashing.queueLimit = hashingQueue }
        if let anonymousSessions { signIn.anonymousSessions = anonymousSessions }
    }
}
