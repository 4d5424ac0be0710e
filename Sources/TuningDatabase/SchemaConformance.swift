import GRDB

/// Checks that a database at the current schema has the columns the schema declares, each
/// holding values of its declared type. SQLite stores any value in any column: a hand-edited
/// or hostile file with `'fast'` in `gflops` would otherwise read as 0 and spread through
/// `db merge`; a dropped column would fail later in a multi-line decoding error.
enum SchemaConformance {
    /// The first problem found, in words naming the table, column and row; nil when none.
    static func problem(in db: Database) throws -> String? {
        let reference = try DatabaseQueue()
        try Schema.migrator.migrate(reference)
        let expected: [String: [(name: String, type: String, notNull: Bool)]] = try reference.read { ref in
            var tables: [String: [(String, String, Bool)]] = [:]
            for table in try String.fetchAll(ref, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'") {
                tables[table] = try Row.fetchAll(ref, sql: "PRAGMA table_info(\(table.quotedDatabaseIdentifier))").map {
                    (($0["name"] as String), ($0["type"] as String).uppercased(), ($0["notnull"] as Int) == 1)
                }
            }
            return tables
        }
        for (table, columns) in expected.sorted(by: { $0.key < $1.key }) {
            let present = Set(try Row.fetchAll(db, sql: "PRAGMA table_info(\(table.quotedDatabaseIdentifier))").map { $0["name"] as String })
            guard !present.isEmpty else { return "has no table \(table)" }
            for column in columns {
                guard present.contains(column.name) else { return "has no column \(column.name) in table \(table)" }
                let allowed: [String]
                switch column.type {
                case "INTEGER": allowed = ["integer"]
                case "DOUBLE", "REAL": allowed = ["real", "integer"]
                case "TEXT": allowed = ["text"]
                case "BLOB": allowed = ["blob"]
                default: continue
                }
                let accepted = (allowed + (column.notNull ? [] : ["null"])).map { "'\($0)'" }.joined(separator: ", ")
                let sql = "SELECT rowid, typeof(\(column.name.quotedDatabaseIdentifier)) FROM \(table.quotedDatabaseIdentifier) WHERE typeof(\(column.name.quotedDatabaseIdentifier)) NOT IN (\(accepted)) LIMIT 1"
                if let row = try Row.fetchOne(db, sql: sql) {
                    let rowid: Int64 = row[0]
                    let found: String = row[1]
                    return "has a \(found) value in \(table).\(column.name) (row \(rowid)), where the schema stores \(column.type.lowercased())\(column.notNull ? "" : " or null")"
                }
            }
        }
        return nil
    }
}
