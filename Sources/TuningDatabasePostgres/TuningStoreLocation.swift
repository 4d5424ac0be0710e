import TuningDatabase

/// Opens the store a location names: postgres://user@host:port/dbname (the password from
/// PGPASSWORD or a password file, never in the location) or a SQLite file. Every `--db` takes
/// either.
public enum TuningStoreLocation {
    /// A missing SQLite file is created only when `create` is true.
    public static func open(_ location: String, create: Bool) throws -> any TuningStore {
        PostgresLocation.isPostgres(location) ? try PostgresTuningDatabase(parsing: location) : try TuningDatabase(path: location, create: create)
    }

    /// For commands that only read: a SQLite file is opened read-only (never created, never
    /// written; TuningDatabase.init(readingPath:)).
    public static func openForReading(_ location: String) throws -> any TuningStore {
        PostgresLocation.isPostgres(location) ? try PostgresTuningDatabase(parsing: location) : try TuningDatabase(readingPath: location)
    }
}
