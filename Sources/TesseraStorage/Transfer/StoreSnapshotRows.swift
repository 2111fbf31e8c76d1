import Foundation

extension StoreSnapshot {
    /// Tables whose columns have the same type on both backends (text and integers only), carried as their
    /// rows themselves: column name to value, with no per-record mapping that could drift from the schema.
    /// A column a later migration adds to one of them moves without code.
    public static let rowTables = ["consents", "consent_grants", "registration_tokens", "gnap_resource_sets"]

    /// One column value of a carried row: the only kinds the ``rowTables`` hold.
    public enum RowValue: Sendable, Hashable, Codable {
        case null
        case integer(Int64)
        case text(String)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let integer = try? container.decode(Int64.self) {
                self = .integer(integer)
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
            }
        }
    }

    /// A row of one of the ``rowTables``.
    public typealias Row = [String: RowValue]

    /// Checks that imported rows go to a table this build carries (its name then goes into SQL).
    /// - Parameter table: the table the rows are for.
    /// - Throws: ``StorageError`` `corrupt` for a table this build does not carry (a file of a newer build:
    ///   importing it would lose that data silently).
    static func checkTable(_ table: String) throws {
        guard rowTables.contains(table) else {
            throw StorageError(.corrupt, "the export carries table '\(table)', which this build does not know: use a newer tessera")
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
}
