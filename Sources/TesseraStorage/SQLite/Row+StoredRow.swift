import GRDB

/// GRDB's rows read by column position, for the records' one mapping (``StoredRecord``).
extension Row: StoredRow {
    func optionalText(_ index: Int) -> String? { self[index] }

    func text(_ index: Int) -> String { self[index] }

    func optionalInt64(_ index: Int) -> Int64? { self[index] }

    func int64(_ index: Int) -> Int64 { self[index] }

    func bool(_ index: Int) -> Bool { self[index] }

    func list(_ index: Int, separator: Character) -> [String] { text(index).split(separator: separator).map(String.init) }
}
