import TesseraEngine
import TesseraServer
import Testing

/// `users:` and `gnap.interaction:` in the config file, and the password KDF.
@Suite struct InteractionConfigurationTests {
    @Test func usersAndInteractionSettingsAreRead() throws {
        let yaml = """
            users:
              - username: alice
                password: alice-password
                display_name: Alice
              - username: bob
                password_hash: "pbkdf2-sha256$600000$c2FsdA$a2V5"
            gnap:
              interaction:
                lifetime: 120
                resource_owners: {payroll-api: alice}
                push_timeout: 2
            """
        let configuration = try ConfigurationLoader.load(file: yaml, environment: [:])
        try configuration.validate()
        #expect(configuration.users.map(\.username) == ["alice", "bob"])
        #expect(configuration.users[0].displayName == "Alice" && configuration.users[1].passwordHash?.hasPrefix("pbkdf2-sha256$") == true)
        #expect(configuration.gnap.interaction.lifetime == 120)
        #expect(configuration.gnap.interaction.resourceOwners == ["payroll-api": "alice"])
        #expect(configuration.gnap.interaction.pushTimeout == .seconds(2))
    }

    @Test(arguments: [
        ("users:\n  - username: a\n    password: short", "users[0].password"),
        ("users:\n  - username: a", "users[0]"),
        ("users:\n  - username: \"a b\"\n    password: long-enough-pw", "users[0].username"),
        ("users:\n  - username: a\n    password_hash: plain", "users[0].password_hash"),
        ("users:\n  - username: a\n    password: long-enough-pw\n  - username: a\n    password: long-enough-pw", "users[1].username"),
        ("gnap:\n  interaction:\n    lifetime: 0", "gnap.interaction.lifetime"),
    ])
    func badUserSettingsNameTheirField(_ yaml: String, _ field: String) {
        #expect {
            try ConfigurationLoader.load(file: yaml, environment: [:]).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field.hasPrefix(field) == true
        }
    }

    @Test func passwordsAreHashedSlowlyAndVerifiedExactly() throws {
        let stored = try PasswordHasher.hash("correct horse battery")
        let parts = stored.split(separator: "$")
        #expect(parts.count == 4 && parts[0] == "pbkdf2-sha256" && Int(parts[1]) ?? 0 >= 600_000)
        #expect(PasswordHasher.verify("correct horse battery", against: stored))
        #expect(!PasswordHasher.verify("correct horse batterY", against: stored))
        #expect(try PasswordHasher.hash("correct horse battery") != stored, "a fresh salt every time")
        // A stored hash that claims too few iterations is refused, not accepted as weak.
        let weak = "pbkdf2-sha256$1000$" + parts[2] + "$" + parts[3]
        #expect(!PasswordHasher.verify("correct horse battery", against: weak))
        #expect(!PasswordHasher.verify("x", against: "garbage"))
    }

    /// The KDF against an independent implementation (Python's hashlib):
    /// `hashlib.pbkdf2_hmac('sha256', b'password', b'saltsaltsaltsalt', 600000)`, base64url.
    @Test func kdfMatchesAnIndependentComputation() {
        let salt = "c2FsdHNhbHRzYWx0c2FsdA"
        let stored = "pbkdf2-sha256$600000$\(salt)$" + Self.expected
        #expect(PasswordHasher.verify("password", against: stored))
    }

    static let expected = "MlfPduVqnMTjr6Vhw_1NqmlSth6RxONllVEhBCz7lKI"
}
