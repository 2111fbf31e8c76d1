/// One schema migration, in the shape both backends list theirs (``SQLiteMigrations``, ``PostgresMigrations``):
/// append-only, numbered, never edited once shipped.
struct SchemaMigration: Sendable {
    var version: Int32
    var name: String
    /// The SQL, run in order: one statement a string (PostgreSQL), or one batch (SQLite).
    var statements: [String]

    init(_ version: Int32, _ name: String, @SQLStatements _ statements: () -> [String]) {
        self.version = version
        self.name = name
        self.statements = statements()
    }

    /// The migration's name with its version in four digits, `0001-clients-tokens-keys-replay`: the identifier
    /// SQLite's migrator records.
    var identifier: String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "-" + name
    }
}

/// Collects a migration's SQL: each string literal in the block is one element.
@resultBuilder
enum SQLStatements {
    static func buildBlock(_ statements: String...) -> [String] { statements }
}
