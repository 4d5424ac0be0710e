import GRDB

extension TuningDatabase {
    /// Adds the profile, or refreshes its name and document (a re-probe adds a roofline).
    public func save(profile: ProfileRecord) throws {
        try write { db in
            if var existing = try ProfileRecord.fetchOne(db, key: profile.id) {
                existing.name = profile.name
                existing.json = profile.json
                try existing.update(db)
            } else {
                try profile.insert(db)
            }
        }
    }

    public func profiles() throws -> [ProfileRecord] {
        try read { db in try ProfileRecord.order(Column("id")).fetchAll(db) }
    }

    public func insert(run: RunRecord) throws {
        try write { db in try run.insert(db) }
    }

    /// The newest unfinished run with the same profile, layer, kernel, strategy, seed, fixed
    /// parameters and kernel-library version: the one an interrupted `tune` left behind.
    public func resumableRun(like run: RunRecord) throws -> RunRecord? {
        try read { db in
            try RunRecord
                .filter([RunRecord.Status.running.rawValue, RunRecord.Status.interrupted.rawValue].contains(Column("status")))
                .filter(Column("profile_id") == run.profileId && Column("layer") == run.layer && Column("kernel") == run.kernel)
                .filter(Column("strategy") == run.strategy && Column("seed") == run.seed && Column("fixed") == run.fixed)
                .filter(Column("kernel_library_version") == run.kernelLibraryVersion)
                .order(Column("started_at").desc)
                .fetchOne(db)
        }
    }

    public func finish(runID: String, at time: String) throws {
        try write { db in
            try db.execute(sql: "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?",
                           arguments: [RunRecord.Status.finished.rawValue, time, runID])
        }
    }

    public func mark(runID: String, as status: RunRecord.Status) throws {
        try write { db in
            try db.execute(sql: "UPDATE runs SET status = ? WHERE id = ? AND status <> ?",
                           arguments: [status.rawValue, runID, RunRecord.Status.finished.rawValue])
        }
    }

    public func runs(profileID: String?) throws -> [RunRecord] {
        try read { db in
            var request = RunRecord.order(Column("started_at"), Column("id"))
            if let profileID { request = request.filter(Column("profile_id") == profileID) }
            return try request.fetchAll(db)
        }
    }

    public func run(id: String) throws -> RunRecord? {
        try read { db in try RunRecord.fetchOne(db, key: id) }
    }

    /// Appends one trial; each is its own transaction, so a kill loses at most the trial
    /// being measured.
    public func append(trial: TrialRecord) throws {
        try write { db in try trial.insert(db) }
    }

    public func trials(runID: String) throws -> [TrialRecord] {
        try read { db in try TrialRecord.filter(Column("run_id") == runID).order(Column("seq")).fetchAll(db) }
    }

    /// Records a winner, replacing the previous one of the same profile, layer and version.
    public func record(best: BestRecord) throws {
        try write { db in try best.upsert(db) }
    }

    public func best(profileID: String?, kernelLibraryVersion: String?) throws -> [BestRecord] {
        try read { db in
            var request = BestRecord.order(Column("profile_id"), Column("layer"))
            if let profileID { request = request.filter(Column("profile_id") == profileID) }
            if let kernelLibraryVersion { request = request.filter(Column("kernel_library_version") == kernelLibraryVersion) }
            return try request.fetchAll(db)
        }
    }

    /// Rows per table, for `db list`.
    public func counts() throws -> (profiles: Int, runs: Int, trials: Int, best: Int) {
        try read { db in
            (try ProfileRecord.fetchCount(db), try RunRecord.fetchCount(db), try TrialRecord.fetchCount(db), try BestRecord.fetchCount(db))
        }
    }
}
