import Foundation

extension StoreSnapshot {
    /// Tables whose columns have the same type on both backends (text and integers only), carried as their
    /// rows themselves: column name to value, with no per-record mapping that could drift from the schema.
    /// A column a later migration adds to one of them moves without code.
    public static let rowTables = ["consents", "consent_grants", "registration_tokens", "gnap_resource_sets", "removed_users"]

    /// The tables carried as rows that must fit their record (signing keys, tokens, GNAP grants), in import order
    /// with the export's order. Their one record shape is the stores' (``StoredRecord``): the file's members are the
    /// column names, and both backends read and write them as plain rows (``tableRows()``) — no per-backend SQL
    /// per table.
    static let recordTables = [
        (name: "signing_keys", order: "created_at DESC, kid"), (name: "access_tokens", order: "issued_at, jti"),
        (name: "refresh_tokens", order: "issued_at, token_hash"), (name: "gnap_grants", order: "created_at, id"),
        (name: "gnap_tokens", order: "created_at, manage_id"),
    ]

    /// List columns of the ``recordTables``: PostgreSQL keeps them as `TEXT[]`, SQLite as text joined with this separator.
    static let listSeparators = ["audience": "\n", "flags": " "]

    /// One column value of a carried row: the only kinds the carried tables hold.
    public enum RowValue: Sendable, Hashable, Codable {
        case null
        case integer(Int64)
        case text(String)
        /// A list column (``listSeparators``); never in the ``rowTables``.
        case list([String])

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let integer = try? container.decode(Int64.self) {
                self = .integer(integer)
            } else if let list = try? container.decode([String].self) {
                self = .list(list)
            } else {
                self = .text(try container.decode(String.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .integer(let integer): try container.encode(integer)
            case .text(let text): try container.encode(text)
            case .list(let list): try container.encode(list)
            }
        }
    }

    /// A row of a carried table.
    public typealias Row = [String: RowValue]

    /// Every carried table but clients and users (which have their stores' own mappings), as rows: the
    /// ``recordTables`` first, in import order, then the ``rowTables``.
    /// - Returns: The tables and their rows (table names this build carries, fit to go into SQL).
    /// - Throws: ``StorageError`` `corrupt` for rows of a table this build does not carry (a file of a newer
    ///   build: importing it would lose that data silently).
    func tableRows() throws -> [(table: String, rows: [Row])] {
        for table in rows.keys where !Self.rowTables.contains(table) {
            throw StorageError(.corrupt, "the export carries table '\(table)', which this build does not know: use a newer tessera")
        }
        let records = [signingKeys, accessTokens, refreshTokens, gnapGrants, gnapTokens]
        return zip(Self.recordTables.map(\.name), records).map { ($0, $1) } + rows.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// A snapshot of the rows a database holds (the clients and users read by their stores).
    /// - Parameters:
    ///   - tables: the rows of the ``recordTables`` and the ``rowTables``, by table.
    ///   - clients: the clients.
    ///   - users: the users.
    /// - Throws: ``StorageError`` `corrupt` for a row that does not fit its record.
    init(tables: [String: [Row]], clients: [ClientRecord], users: [UserRecord]) throws {
        self.init(clients: clients, users: users)
        do {
            signingKeys = try Self.carried(tables["signing_keys"] ?? [], as: SigningKeyRecord.self)
            accessTokens = try Self.carried(tables["access_tokens"] ?? [], as: AccessTokenRecord.self)
            refreshTokens = try Self.carried(tables["refresh_tokens"] ?? [], as: RefreshTokenRecord.self)
            gnapGrants = try Self.carried(tables["gnap_grants"] ?? [], as: GNAPGrantRecord.self)
            gnapTokens = try Self.carried(tables["gnap_tokens"] ?? [], as: GNAPTokenRecord.self)
        } catch {
            throw StorageError(.corrupt, "a stored row does not fit its snapshot record: \(error)")
        }
        rows = tables.filter { Self.rowTables.contains($0.key) }
    }

    /// Rows of a record table as carried: only the record's columns, NULL ones left out (as a file leaves them out),
    /// each row checked to fit the record.
    /// - Parameters:
    ///   - rows: The rows, from a file or a database.
    ///   - record: The table's record.
    /// - Returns: The rows as carried.
    /// - Throws: ``StorageError`` `corrupt` for a row without a required column or with a value of the wrong kind.
    static func carried(_ rows: [Row], as record: (some StoredRecord).Type) throws -> [Row] {
        let names = record.columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        return try rows.map { row in
            let carried = row.filter { names.contains($0.key) && $0.value != .null }
            _ = try record.init(row: CarriedRow(values: carried, names: names))
            return carried
        }
    }

    /// Checks that imported rows hold only the table's columns (their names then go into SQL).
    /// - Parameters:
    ///   - table: the table the rows are for.
    ///   - rows: the rows.
    ///   - columns: the table's columns on the target database.
    /// - Throws: ``StorageError`` `corrupt` for a column the database does not have (a file of a newer build).
    static func checkRows(_ table: String, _ rows: [Row], columns: Set<String>) throws {
        for row in rows {
            for column in row.keys where !columns.contains(column) {
                throw StorageError(.corrupt, "the export carries column '\(table).\(column)', which this database does not have")
            }
        }
    }

    /// Adds `added` rows of `table` to the import's counts.
    /// - Parameters:
    ///   - added: how many rows were added.
    ///   - table: the table they went to.
    ///   - counts: the import's counts.
    static func count(_ added: Int, of table: String, in counts: inout Counts) {
        switch table {
        case "signing_keys": counts.signingKeys += added
        case "access_tokens": counts.accessTokens += added
        case "refresh_tokens": counts.refreshTokens += added
        case "gnap_grants": counts.gnapGrants += added
        case "gnap_tokens": counts.gnapTokens += added
        default: counts.rows += added
        }
    }
}

/// A carried row read by position through its record's column names: how ``StoreSnapshot/carried(_:as:)`` checks that
/// a row fits its record.
struct CarriedRow: StoredRow {
    let values: StoreSnapshot.Row
    let names: [String]

    func optionalText(_ index: Int) throws -> String? {
        switch values[names[index]] {
        case nil, .null: nil
        case .text(let text): text
        default: throw mismatch(index, "text")
        }
    }

    func text(_ index: Int) throws -> String {
        guard let text = try optionalText(index) else { throw mismatch(index, "text") }
        return text
    }

    func optionalInt64(_ index: Int) throws -> Int64? {
        switch values[names[index]] {
        case nil, .null: nil
        case .integer(let integer): integer
        default: throw mismatch(index, "an integer")
        }
    }

    func int64(_ index: Int) throws -> Int64 {
        guard let integer = try optionalInt64(index) else { throw mismatch(index, "an integer") }
        return integer
    }

    func bool(_ index: Int) throws -> Bool { try int64(index) != 0 }

    func list(_ index: Int, separator: Character) throws -> [String] {
        guard case .list(let list) = values[names[index]] else { throw mismatch(index, "a list") }
        return list
    }

    private func mismatch(_ index: Int, _ kind: String) -> StorageError {
        StorageError(.corrupt, "the carried column '\(names[index])' is not \(kind)")
    }
}
