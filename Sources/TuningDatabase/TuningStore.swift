/// What tuners, the runtime and the database commands need of a tuning database, whichever
/// engine keeps it: a SQLite file (`TuningDatabase`) or a PostgreSQL server
/// (`PostgresTuningDatabase`). Both keep the same tables, keys and merge rules
/// (docs/tuning-database.md), so a caller never needs to know which one it has.
public protocol TuningStore: AnyObject, Sendable {
    /// Where the store is, safe to print: a file path, or a postgres:// location (never with a
    /// password).
    var address: String { get }

    /// Adds the profile, or refreshes its name and document.
    func save(profile: ProfileRecord) throws
    func profiles() throws -> [ProfileRecord]

    func insert(run: RunRecord) throws
    /// The newest unfinished run (running or interrupted) with the same key (profile, layer, kernel, strategy, seed,
    /// fixed parameters, kernel-library version): the one an interrupted `tune` left behind.
    func resumableRun(like run: RunRecord) throws -> RunRecord?
    func finish(runID: String, at time: String) throws
    /// Marks an unfinished run `interrupted` (its tuner got SIGINT or SIGTERM) or `running`
    /// again (resumed); a finished run stays finished.
    func mark(runID: String, as status: RunRecord.Status) throws
    /// In start order; only the profile's when given.
    func runs(profileID: String?) throws -> [RunRecord]

    /// Appends one trial, in its own transaction (a kill loses at most the trial being measured).
    func append(trial: TrialRecord) throws
    func trials(runID: String) throws -> [TrialRecord]

    /// Records a winner, replacing the previous one of the same profile, layer and version.
    func record(best: BestRecord) throws
    func best(profileID: String?, kernelLibraryVersion: String?) throws -> [BestRecord]

    /// Records a precision choice, replacing the previous one of the same key.
    func record(choice: ChoiceRecord) throws
    func choices(profileID: String?, kernelLibraryVersion: String?) throws -> [ChoiceRecord]

    /// Rows per table, for `db list`.
    func counts() throws -> (profiles: Int, runs: Int, trials: Int, best: Int)
    /// The schema version the store is at (docs/tuning-database.md).
    func schemaVersion() throws -> Int

    /// Every row, in key order (one snapshot).
    func dump() throws -> DatabaseDump
    /// Adds another database's rows: present rows kept, the faster best and the newer choice win.
    @discardableResult func merge(_ dump: DatabaseDump) throws -> MergeSummary
}

extension TuningStore {
    public func runs() throws -> [RunRecord] { try runs(profileID: nil) }
    public func best() throws -> [BestRecord] { try best(profileID: nil, kernelLibraryVersion: nil) }
    public func best(profileID: String) throws -> [BestRecord] { try best(profileID: profileID, kernelLibraryVersion: nil) }
    public func best(kernelLibraryVersion: String) throws -> [BestRecord] { try best(profileID: nil, kernelLibraryVersion: kernelLibraryVersion) }
    public func choices() throws -> [ChoiceRecord] { try choices(profileID: nil, kernelLibraryVersion: nil) }
    public func choices(profileID: String) throws -> [ChoiceRecord] { try choices(profileID: profileID, kernelLibraryVersion: nil) }
    public func choices(kernelLibraryVersion: String) throws -> [ChoiceRecord] { try choices(profileID: nil, kernelLibraryVersion: kernelLibraryVersion) }
}

extension TuningDatabase: TuningStore {
    public var address: String { path }
}
