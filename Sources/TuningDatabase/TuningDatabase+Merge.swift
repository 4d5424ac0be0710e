import GRDB

/// What a merge or import added and what it already had.
public struct MergeSummary: Equatable, Sendable, CustomStringConvertible {
    public var profilesAdded = 0
    public var runsAdded = 0
    public var trialsAdded = 0
    public var bestAdded = 0
    public var bestReplaced = 0
    public var choicesAdded = 0
    public var choicesReplaced = 0
    public var alreadyPresent = 0

    public init() {}

    public var description: String {
        "added \(profilesAdded) profiles, \(runsAdded) runs, \(trialsAdded) trials, \(bestAdded) best configurations, \(choicesAdded) precision choices; "
            + "replaced \(bestReplaced) best configurations by faster ones and \(choicesReplaced) choices by newer ones; \(alreadyPresent) rows already present"
    }
}

extension TuningDatabase {
    /// Every row, in key order.
    public func dump() throws -> DatabaseDump {
        try read { db in
            DatabaseDump(profiles: try ProfileRecord.fetchAll(db), runs: try RunRecord.fetchAll(db),
                         trials: try TrialRecord.fetchAll(db), best: try BestRecord.fetchAll(db), choices: try ChoiceRecord.fetchAll(db))
        }
    }

    /// Adds another database's rows (an export, or a database from another machine) in one
    /// transaction. Rows are identified by their keys (profile fingerprint, run UUID, run and
    /// trial number), so merging the same data twice adds nothing. Where both have a best
    /// configuration for the same profile, layer and kernel-library version, the faster
    /// (higher GFLOP/s) one is kept; of two precision choices for the same key, the newer.
    @discardableResult
    public func merge(_ dump: DatabaseDump) throws -> MergeSummary {
        try write { db in
            var summary = MergeSummary()
            for profile in dump.profiles {
                if try ProfileRecord.exists(db, key: profile.id) { summary.alreadyPresent += 1 } else {
                    try profile.insert(db)
                    summary.profilesAdded += 1
                }
            }
            for run in dump.runs {
                if let existing = try RunRecord.fetchOne(db, key: run.id) {
                    summary.alreadyPresent += 1
                    // A run finished elsewhere after this copy was taken.
                    if existing.status != .finished, run.status == .finished { try run.update(db) }
                } else {
                    try run.insert(db)
                    summary.runsAdded += 1
                }
            }
            for trial in dump.trials {
                if try TrialRecord.exists(db, key: ["run_id": trial.runId, "seq": trial.seq]) { summary.alreadyPresent += 1 } else {
                    try trial.insert(db)
                    summary.trialsAdded += 1
                }
            }
            for best in dump.best {
                let key: [String: any DatabaseValueConvertible] = [
                    "profile_id": best.profileId, "layer": best.layer, "kernel_library_version": best.kernelLibraryVersion,
                ]
                if let existing = try BestRecord.fetchOne(db, key: key) {
                    if existing == best { summary.alreadyPresent += 1 } else if best.gflops > existing.gflops {
                        try best.update(db)
                        summary.bestReplaced += 1
                    } else {
                        summary.alreadyPresent += 1
                    }
                } else {
                    try best.insert(db)
                    summary.bestAdded += 1
                }
            }
            for choice in dump.choices {
                let key: [String: any DatabaseValueConvertible] = [
                    "profile_id": choice.profileId, "layer": choice.layer,
                    "kernel_library_version": choice.kernelLibraryVersion, "policy": choice.policy,
                ]
                if let existing = try ChoiceRecord.fetchOne(db, key: key) {
                    if existing != choice, choice.decidedAt > existing.decidedAt {
                        try choice.update(db)
                        summary.choicesReplaced += 1
                    } else {
                        summary.alreadyPresent += 1
                    }
                } else {
                    try choice.insert(db)
                    summary.choicesAdded += 1
                }
            }
            return summary
        }
    }
}
