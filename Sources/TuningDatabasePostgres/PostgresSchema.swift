/// The tuning database's tables in PostgreSQL: the same tables, columns and keys as the SQLite
/// schema (docs/tuning-database.md) at its current version, created at once on a new database.
enum PostgresSchema {
    enum ColumnType: String { case text = "TEXT", integer = "BIGINT", real = "DOUBLE PRECISION", boolean = "BOOLEAN" }

    struct Table {
        var name: String
        /// (column, type, nullable), in order.
        var columns: [(String, ColumnType, Bool)]
        var key: [String]
        var extra: String = ""

        var ddl: String {
            let columns = self.columns.map { "\($0.0) \($0.1.rawValue)\($0.2 ? "" : " NOT NULL")" }
            return "CREATE TABLE IF NOT EXISTS \(name) (\((columns + ["PRIMARY KEY (\(key.joined(separator: ", ")))"] + (extra.isEmpty ? [] : [extra])).joined(separator: ", ")))"
        }

        func type(of column: String) -> ColumnType? { columns.first { $0.0 == column }?.1 }
    }

    /// The SQLite schema version these tables correspond to (its migrations, all applied).
    static let version = 4

    static let profiles = Table(name: "profiles", columns: [
        ("id", .text, false), ("name", .text, false), ("json", .text, false), ("added_at", .text, false),
    ], key: ["id"])

    static let runs = Table(name: "runs", columns: [
        ("id", .text, false), ("profile_id", .text, false), ("layer", .text, false), ("kernel", .text, false),
        ("strategy", .text, false), ("seed", .integer, false), ("fixed", .text, false), ("budget_trials", .integer, true),
        ("budget_seconds", .real, true), ("status", .text, false), ("started_at", .text, false), ("finished_at", .text, true),
        ("tunebench_version", .text, false), ("kernel_library_version", .text, false), ("compiler", .text, false),
        ("build_flags", .text, false), ("git_commit", .text, false), ("host", .text, false),
    ], key: ["id"])

    static let trials = Table(name: "trials", columns: [
        ("run_id", .text, false), ("seq", .integer, false), ("config", .text, false), ("source", .text, false),
        ("status", .text, false), ("median_seconds", .real, true), ("min_seconds", .real, true), ("ci_low_seconds", .real, true),
        ("ci_high_seconds", .real, true), ("cv", .real, true), ("samples", .integer, true), ("runs_per_sample", .integer, true),
        ("converged", .boolean, true), ("gflops", .real, true), ("roofline_fraction", .real, true), ("relative_error", .real, true),
        ("message", .text, true), ("measured_at", .text, false), ("wall_seconds", .real, false), ("counters", .text, true),
    ], key: ["run_id", "seq"], extra: "FOREIGN KEY (run_id) REFERENCES runs(id) ON DELETE CASCADE")

    static let best = Table(name: "best", columns: [
        ("profile_id", .text, false), ("layer", .text, false), ("kernel_library_version", .text, false), ("kernel", .text, false),
        ("config", .text, false), ("median_seconds", .real, false), ("gflops", .real, false), ("roofline_fraction", .real, true),
        ("margin", .real, true), ("runner_up_config", .text, true), ("default_config", .text, false),
        ("speedup_over_default", .real, true), ("run_id", .text, false), ("updated_at", .text, false),
    ], key: ["profile_id", "layer", "kernel_library_version"])

    static let choices = Table(name: "choices", columns: [
        ("profile_id", .text, false), ("layer", .text, false), ("kernel_library_version", .text, false), ("policy", .text, false),
        ("precision", .text, false), ("best_layer", .text, false), ("relative_error", .real, true),
        ("error_on_model_weights", .boolean, false), ("decided_at", .text, false), ("model_check", .text, true),
        ("model_output_error", .real, true),
    ], key: ["profile_id", "layer", "kernel_library_version", "policy"])

    /// What brings a database created at an older version to `version` (each idempotent).
    static let upgrades = [
        "ALTER TABLE choices ADD COLUMN IF NOT EXISTS model_check TEXT",
        "ALTER TABLE choices ADD COLUMN IF NOT EXISTS model_output_error DOUBLE PRECISION",
    ]

    static let tables = [profiles, runs, trials, best, choices]

    /// Shared work (PostgreSQL only: coordination, not results, so neither exported nor merged).
    /// An item is pending until done; `claimed_by` and `lease_until` say who has it until when.
    static let workItems = """
        CREATE TABLE IF NOT EXISTS work_items (
            queue TEXT NOT NULL, item TEXT NOT NULL, position BIGINT NOT NULL, status TEXT NOT NULL,
            claimed_by TEXT, lease_until TIMESTAMPTZ, attempts BIGINT NOT NULL, done_at TIMESTAMPTZ,
            PRIMARY KEY (queue, item))
        """

    static var statements: [String] {
        ["CREATE TABLE IF NOT EXISTS tunebench_schema (version BIGINT NOT NULL)"] + tables.map(\.ddl) + [
            "CREATE INDEX IF NOT EXISTS runs_profile_id ON runs (profile_id)",
            workItems,
        ]
    }
}
