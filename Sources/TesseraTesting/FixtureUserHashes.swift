import Synchronization
import TesseraEngine
import TesseraServer

/// Password hashes for the configured users of test servers, computed once per password per test process.
///
/// Every `TestServer.build` with `users:` would otherwise run a 600,000-round PBKDF2 per user at start-up, on
/// Swift's cooperative pool (`PeopleService.addUser`: operator work, not a request). The test process builds
/// hundreds of servers in parallel on two cooperative threads, and a profile of `TesseraServerTests` found
/// 93% of its CPU in those start-up hashes: every other test's requests waited behind them, so the
/// sign-in tests took 75–105 s and once hit the test client's 20 s read timeout. A stored hash of the same
/// password is what start-up would have written; sign-in still verifies against it on the real pool.
enum FixtureUserHashes {
    private static let cache = Mutex<[String: String]>([:])

    /// `users` with every plaintext password replaced by a hash of it (computed on first use).
    ///
    /// - Parameter users: the configured users.
    /// - Returns: the same users, each with `passwordHash` and without `password`.
    /// - Throws: what ``PasswordHasher/hash(_:)`` throws.
    static func hashed(_ users: [UserDefinition]) throws -> [UserDefinition] {
        try users.map { user in
            guard let password = user.password, user.passwordHash == nil,
                password.count >= PasswordHasher.minimumLength
            else { return user }
            var hashed = user
            hashed.password = nil
            hashed.passwordHash = try hash(password)
            return hashed
        }
    }

    private static func hash(_ password: String) throws -> String {
        if let known = cache.withLock({ $0[password] }) { return known }
        let hash = try PasswordHasher.hash(password)
        return cache.withLock { cache in
            if let known = cache[password] { return known }
            cache[password] = hash
            return hash
        }
    }
}
