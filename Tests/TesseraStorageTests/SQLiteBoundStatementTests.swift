import GRDB
import Testing

@testable import TesseraStorage

/// Issue 22: the hot inserts bind their values directly (`Statement.run`): in order, optionals as SQL `NULL`, texts
/// exactly (an interior NUL kept), and a wrong number of values refused as GRDB's `execute(arguments:)` refuses it.
@Suite struct SQLiteBoundStatementTests {
    @Test func valuesAreBoundInOrderAndAWrongCountIsRefused() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (a TEXT NOT NULL, b INTEGER, c TEXT)")
            let insert = try db.cachedStatement(sql: "INSERT INTO t (a, b, c) VALUES (?, ?, ?)")
            let none: String? = nil
            try insert.run([.text("x"), .integer(7), .text(none)])
            #expect(throws: DatabaseError.self) { try insert.run([.text("y"), .integer(8)]) }
            #expect(throws: DatabaseError.self) { try insert.run([.text("y"), .integer(1), .integer(2), .integer(3)]) }
            try insert.run([.text("z\u{0}é"), .integer(nil), .text(Optional("c"))])
            // The statement is still GRDB's: arguments given the usual way after a direct run bind afresh.
            try insert.execute(arguments: ["w", 9, "d"])
            let rows = try Row.fetchAll(db, sql: "SELECT hex(a) AS a, b, c FROM t ORDER BY a")
            #expect(rows.map { $0["a"] as String } == ["77", "78", "7A00C3A9"])
            #expect(rows.map { $0["b"] as Int64? } == [9, 7, nil])
            #expect(rows.map { $0["c"] as String? } == ["d", nil, "c"])
        }
    }
}
