import TuningDatabase
import TuningDatabasePostgres

/// What every `--db` takes: a SQLite file, or postgres://user@host:port/dbname with the
/// password from PGPASSWORD or a password file (never in the location).
enum StoreLocation {
    static let help = "The tuning database: a SQLite file, or postgres://user@host:port/dbname (password from PGPASSWORD or ~/.pgpass)."

    /// Opens the store; a missing SQLite file is created only when `create` is true.
    static func open(_ location: String, create: Bool) throws -> any TuningStore {
        PostgresLocation.isPostgres(location) ? try PostgresTuningDatabase(parsing: location) : try TuningDatabase(path: location, create: create)
    }
}
