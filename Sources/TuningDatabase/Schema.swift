import GRDB

/// The database schema as an ordered list of migrations. A database records which ones it
/// has; opening it applies the missing ones, so files written by older tunebench versions
/// upgrade in place. Never edit a shipped migration: add the next one.
enum Schema {
    /// Migration identifiers in order; the schema version is how many a database has.
    static let versions = ["v1-initial", "v2-trial-counters", "v3-choices", "v4-model-checks"]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(versions[0]) { db in
            try db.create(table: "profiles") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("json", .text).notNull()
                t.column("added_at", .text).notNull()
            }
            try db.create(table: "runs") { t in
                t.primaryKey("id", .text)
                t.column("profile_id", .text).notNull().indexed()
                t.column("layer", .text).notNull()
                t.column("kernel", .text).notNull()
                t.column("strategy", .text).notNull()
                t.column("seed", .integer).notNull()
                t.column("fixed", .text).notNull()
                t.column("budget_trials", .integer)
                t.column("budget_seconds", .double)
                t.column("status", .text).notNull()
                t.column("started_at", .text).notNull()
                t.column("finished_at", .text)
                t.column("tunebench_version", .text).notNull()
                t.column("kernel_library_version", .text).notNull()
                t.column("compiler", .text).notNull()
                t.column("build_flags", .text).notNull()
                t.column("git_commit", .text).notNull()
                t.column("host", .text).notNull()
            }
            try db.create(table: "trials") { t in
                t.column("run_id", .text).notNull().references("runs", onDelete: .cascade)
                t.column("seq", .integer).notNull()
                t.column("config", .text).notNull()
                t.column("source", .text).notNull()
                t.column("status", .text).notNull()
                t.column("median_seconds", .double)
                t.column("min_seconds", .double)
                t.column("ci_low_seconds", .double)
                t.column("ci_high_seconds", .double)
                t.column("cv", .double)
                t.column("samples", .integer)
                t.column("runs_per_sample", .integer)
                t.column("converged", .boolean)
                t.column("gflops", .double)
                t.column("roofline_fraction", .double)
                t.column("relative_error", .double)
                t.column("message", .text)
                t.column("measured_at", .text).notNull()
                t.column("wall_seconds", .double).notNull()
                t.primaryKey(["run_id", "seq"])
            }
            try db.create(table: "best") { t in
                t.column("profile_id", .text).notNull()
                t.column("layer", .text).notNull()
                t.column("kernel_library_version", .text).notNull()
                t.column("kernel", .text).notNull()
                t.column("config", .text).notNull()
                t.column("median_seconds", .double).notNull()
                t.column("gflops", .double).notNull()
                t.column("roofline_fraction", .double)
                t.column("margin", .double)
                t.column("runner_up_config", .text)
                t.column("default_config", .text).notNull()
                t.column("speedup_over_default", .double)
                t.column("run_id", .text).notNull()
                t.column("updated_at", .text).notNull()
                t.primaryKey(["profile_id", "layer", "kernel_library_version"])
            }
        }
        migrator.registerMigration(versions[1]) { db in
            try db.alter(table: "trials") { t in t.add(column: "counters", .text) }
        }
        migrator.registerMigration(versions[2]) { db in
            try db.create(table: "choices") { t in
                t.column("profile_id", .text).notNull()
                t.column("layer", .text).notNull()
                t.column("kernel_library_version", .text).notNull()
                t.column("policy", .text).notNull()
                t.column("precision", .text).notNull()
                t.column("best_layer", .text).notNull()
                t.column("relative_error", .double)
                t.column("error_on_model_weights", .boolean).notNull()
                t.column("decided_at", .text).notNull()
                t.primaryKey(["profile_id", "layer", "kernel_library_version", "policy"])
            }
        }
        migrator.registerMigration(versions[3]) { db in
            try db.alter(table: "choices") { t in
                t.add(column: "model_check", .text)
                t.add(column: "model_output_error", .double)
            }
        }
        return migrator
    }
}
