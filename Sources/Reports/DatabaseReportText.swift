import Foundation
import TuningDatabase

/// `db list` and `db show` as text.
public enum DatabaseReportText {
    public static func list(_ database: any TuningStore) throws -> String {
        let counts = try database.counts()
        var lines = ["\(database.address): schema version \(try database.schemaVersion()); \(counts.profiles) profiles, \(counts.runs) runs, "
            + "\(counts.trials) trials, \(counts.best) best configurations"]
        let runs = try database.runs()
        let best = try database.best()
        var table = TextTable(header: ["profile", "name", "runs", "unfinished", "layers tuned"])
        for profile in try database.profiles() {
            let own = runs.filter { $0.profileId == profile.id }
            table.add([profile.id, profile.name, "\(own.count)", "\(own.filter { $0.status == .running }.count)",
                       "\(best.filter { $0.profileId == profile.id }.count)"])
        }
        if !table.rows.isEmpty { lines.append(table.render()) }
        return lines.joined(separator: "\n")
    }

    public static func show(_ database: any TuningStore, profileID: String?, layer: String?, showRuns: Bool) throws -> String {
        var lines: [String] = []
        let best = try database.best(profileID: profileID, kernelLibraryVersion: nil).filter { layer == nil || $0.layer.contains(layer!) }
        var table = TextTable(header: ["profile", "layer", "GFLOP/s", "roofline", "margin", "vs default", "configuration"])
        for record in best {
            table.add([record.profileId, record.layer, String(format: "%.2f", record.gflops),
                       record.rooflineFraction.map { String(format: "%.0f%%", $0 * 100) } ?? "-",
                       record.margin.map { String(format: "%.1f%%", ($0 - 1) * 100) } ?? "-",
                       record.speedupOverDefault.map { String(format: "%.2fx", $0) } ?? "-", record.config])
        }
        lines.append(best.isEmpty ? "no best configurations\(profileID.map { " for profile \($0)" } ?? "")" : "best configurations:\n" + table.render())
        if showRuns {
            var runs = TextTable(header: ["run", "profile", "layer", "strategy", "status", "trials", "started", "git", "kernels"])
            for run in try database.runs(profileID: profileID) where layer == nil || run.layer.contains(layer!) {
                runs.add([run.id, run.profileId, run.layer, run.strategy, run.status.rawValue, "\(try database.trials(runID: run.id).count)",
                          run.startedAt, String(run.gitCommit.prefix(10)), run.kernelLibraryVersion])
            }
            lines.append("runs:\n" + runs.render())
        }
        return lines.joined(separator: "\n")
    }
}
