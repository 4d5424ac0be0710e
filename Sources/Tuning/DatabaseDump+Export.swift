import Foundation
import TunebenchCore
import TuningDatabase

/// What `db export` writes: the whole database, or one run's trials for Kernel Tuner's tools.
public enum DatabaseExportFormat: String, CaseIterable, Sendable {
    /// The whole database (docs/tuning-database.md).
    case json
    /// One run's trials in the T4 autotuning-results format.
    case t4
}

extension DatabaseDump {
    /// The dump as `format`; t4 needs the run (`db show --runs` lists them).
    public func exported(as format: DatabaseExportFormat, runID: String?, location: String) throws -> Data {
        switch format {
        case .json:
            return try encoded()
        case .t4:
            guard let runID else { throw OptionError("--format t4 exports one run: give --run ID (see `db show --runs`)") }
            guard runs.contains(where: { $0.id == runID }) else { throw FileError(path: location, message: "has no run \(runID)") }
            return try T4Results(trials: trials.filter { $0.runId == runID }).encoded()
        }
    }
}
