/// What every `--db` takes (TuningStoreLocation opens it).
enum StoreLocation {
    static let help = "The tuning database: a SQLite file, or postgres://user@host:port/dbname (password from PGPASSWORD or ~/.pgpass)."
}
