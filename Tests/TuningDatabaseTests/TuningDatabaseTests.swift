import Foundation
import GRDB
import Testing
import TunebenchCore

@testable import TuningDatabase

/// Records with every kind of field, failed trials included.
enum Sample {
    static let provenance = Provenance(tunebenchVersion: "0.2.0", kernelLibraryVersion: "0.3.0", compiler: "Swift 6.3.1",
                                       buildFlags: "-Ounchecked -march=native", gitCommit: "abc123", host: "test")

    static func profile(_ id: String) -> ProfileRecord {
        ProfileRecord(id: id, name: "machine \(id)", json: "{\"id\":\"\(id)\"}", addedAt: "2026-11-29T04:00:00.000Z")
    }

    static func run(_ id: String, profile: String, layer: String = "gemm m=32 n=64 k=64", status: RunRecord.Status = .running) -> RunRecord {
        RunRecord(id: id, profileId: profile, layer: layer, kernel: "gemm", strategy: "random", seed: 7, fixed: "threads=1",
                  budgetTrials: 10, budgetSeconds: nil, status: status, startedAt: "2026-11-29T04:00:0\(id.count % 10).000Z", provenance: provenance)
    }

    static func trials(run: String, count: Int) -> [TrialRecord] {
        (0..<count).map { seq in
            var trial = TrialRecord(runId: run, seq: seq, config: "gemm kc=\(64 * (seq + 1)),mr=4", source: seq == 0 ? "analytical" : "random",
                                    status: seq == 2 ? .crashed : .ok, measuredAt: "2026-11-29T04:00:01.123Z", wallSeconds: 0.1 + Double(seq) / 3)
            if seq != 2 {
                trial.medianSeconds = 1e-3 / Double(seq + 1) + 1.0 / 3e7
                trial.minSeconds = 0.9e-3
                trial.ciLowSeconds = 0.95e-3
                trial.ciHighSeconds = 1.05e-3
                trial.cv = 0.0123456789
                trial.samples = 9
                trial.runsPerSample = 3
                trial.converged = seq % 2 == 0
                trial.gflops = 12.345678901234 * Double(seq + 1)
                trial.rooflineFraction = 0.1 * Double(seq + 1)
                trial.relativeError = 1.2e-7
                trial.counters = "{\"cpu-seconds\":0.001}"
            } else {
                trial.message = "the worker was killed by signal 6 (Aborted)"
            }
            return trial
        }
    }

    static func best(profile: String, gflops: Double, run: String) -> BestRecord {
        BestRecord(profileId: profile, layer: "gemm m=32 n=64 k=64", kernelLibraryVersion: "0.3.0", kernel: "gemm", config: "gemm kc=128,mr=4",
                   medianSeconds: 2.6e-4, gflops: gflops, rooflineFraction: 0.5, margin: 1.021, runnerUpConfig: "gemm kc=64,mr=4",
                   defaultConfig: "gemm kc=256,mr=4", speedupOverDefault: 1.3, runId: run, updatedAt: "2026-11-29T04:00:02.000Z")
    }

    static func choice(profile: String, precision: String, decidedAt: String = "2026-11-29T04:00:03.000Z") -> ChoiceRecord {
        ChoiceRecord(profileId: profile, layer: "gemm m=32 n=64 k=64", kernelLibraryVersion: "0.3.0", policy: "max-error 0.01 over fp32,int8",
                     precision: precision, bestLayer: "gemm m=32 n=64 k=64" + (precision == "fp32" ? "" : " \(precision)"),
                     relativeError: precision == "fp32" ? 1e-7 : 4e-3, errorOnModelWeights: true, decidedAt: decidedAt)
    }

    /// A database with one profile, one run of `trials` trials, its best and a precision choice.
    static func filled(_ path: String, profile: String = "aaaa", run: String = "run-1", trials: Int = 4, gflops: Double = 40) throws -> TuningDatabase {
        let database = try TuningDatabase(path: path)
        try database.save(profile: Sample.profile(profile))
        try database.insert(run: Sample.run(run, profile: profile))
        for trial in Sample.trials(run: run, count: trials) { try database.append(trial: trial) }
        try database.record(best: Sample.best(profile: profile, gflops: gflops, run: run))
        try database.record(choice: Sample.choice(profile: profile, precision: "fp32"))
        return database
    }
}

func temporaryPath(_ name: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-db-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(name).path
}

@Suite("tuning database")
struct TuningDatabaseTests {
    @Test("records read back exactly as written, failed trials included")
    func recordsRoundTrip() throws {
        let database = try Sample.filled(try temporaryPath("a.sqlite"))
        let trials = try database.trials(runID: "run-1")
        #expect(trials == Sample.trials(run: "run-1", count: 4))
        #expect(trials[2].status == .crashed && trials[2].gflops == nil)
        #expect(try database.best() == [Sample.best(profile: "aaaa", gflops: 40, run: "run-1")])
        #expect(try database.schemaVersion() == TuningDatabase.currentSchemaVersion)
    }

    @Test("JSON export → import into a new database → export gives the same bytes")
    func exportImportRoundTrip() throws {
        let first = try Sample.filled(try temporaryPath("a.sqlite"))
        let exported = try first.dump().encoded()
        let dump = try DatabaseDump.decode(exported, path: "export.json")
        let second = try TuningDatabase(path: try temporaryPath("b.sqlite"))
        let summary = try second.merge(dump)
        #expect(summary.profilesAdded == 1 && summary.runsAdded == 1 && summary.trialsAdded == 4 && summary.bestAdded == 1)
        #expect(summary.choicesAdded == 1)
        #expect(try second.choices() == [Sample.choice(profile: "aaaa", precision: "fp32")])
        #expect(try second.dump().encoded() == exported)
        #expect(try second.dump() == first.dump())
    }

    @Test("an interrupted run is found by its key; a finished one, or another key, is not")
    func resumableRun() throws {
        let database = try Sample.filled(try temporaryPath("a.sqlite"))
        let probe = Sample.run("new", profile: "aaaa")
        #expect(try database.resumableRun(like: probe)?.id == "run-1")
        var otherSeed = probe
        otherSeed.seed = 8
        #expect(try database.resumableRun(like: otherSeed) == nil)
        try database.finish(runID: "run-1", at: "2026-11-29T05:00:00.000Z")
        #expect(try database.resumableRun(like: probe) == nil)
        #expect(try database.run(id: "run-1")?.status == .finished)
    }

    @Test("merge adds another machine's rows once, and keeps the faster best configuration")
    func merge() throws {
        let here = try Sample.filled(try temporaryPath("here.sqlite"), profile: "aaaa", run: "run-a", gflops: 40)
        let there = try Sample.filled(try temporaryPath("there.sqlite"), profile: "bbbb", run: "run-b", trials: 3, gflops: 30)
        try there.save(profile: Sample.profile("aaaa"))
        try there.insert(run: Sample.run("run-c", profile: "aaaa"))
        try there.record(best: Sample.best(profile: "aaaa", gflops: 50, run: "run-c"))
        let summary = try here.merge(try there.dump())
        #expect(summary.profilesAdded == 1 && summary.runsAdded == 2 && summary.trialsAdded == 3)
        #expect(summary.bestAdded == 1 && summary.bestReplaced == 1)
        #expect(try here.best().map(\.gflops) == [50, 30])
        let again = try here.merge(try there.dump())
        #expect(again.profilesAdded + again.runsAdded + again.trialsAdded + again.bestAdded + again.bestReplaced == 0)
        #expect(try here.counts().trials == 7)
        // Of two precision choices for the same key, the newer one stays.
        try there.record(choice: Sample.choice(profile: "aaaa", precision: "int8", decidedAt: "2026-11-30T00:00:00.000Z"))
        let newer = try here.merge(try there.dump())
        #expect(newer.choicesReplaced == 1)
        #expect(try here.choices(profileID: "aaaa").map(\.precision) == ["int8"])
        try there.record(choice: Sample.choice(profile: "aaaa", precision: "fp32", decidedAt: "2026-11-01T00:00:00.000Z"))
        #expect(try here.merge(try there.dump()).choicesReplaced == 0)
        #expect(try here.choices(profileID: "aaaa").map(\.precision) == ["int8"])
    }

    @Test("an export of schema 2 (no choices) still imports")
    func importWithoutChoices() throws {
        let exported = try Sample.filled(try temporaryPath("a.sqlite")).dump().encoded()
        var object = try #require(try JSONSerialization.jsonObject(with: exported) as? [String: Any])
        object.removeValue(forKey: "choices")
        object["schemaVersion"] = 2
        let dump = try DatabaseDump.decode(try JSONSerialization.data(withJSONObject: object), path: "old.json")
        #expect(dump.choices.isEmpty && dump.best.count == 1)
    }

    @Test("a database of schema version 1 is upgraded in place and keeps its rows")
    func migration() throws {
        let path = try temporaryPath("old.sqlite")
        do {
            let old = try TuningDatabase(path: path, schemaVersion: 1)
            #expect(try old.schemaVersion() == 1)
            try old.save(profile: Sample.profile("aaaa"))
            try old.insert(run: Sample.run("run-1", profile: "aaaa"))
            // Version 1 has no counters column: write the row as version 1 did.
            try old.write { db in
                try db.execute(sql: """
                    INSERT INTO trials (run_id, seq, config, source, status, median_seconds, gflops, measured_at, wall_seconds)
                    VALUES ('run-1', 0, 'gemm kc=64', 'random', 'ok', 0.001, 12.5, '2026-11-29T04:00:00.000Z', 0.2)
                    """)
            }
            let columns = try old.read { db in try db.columns(in: "trials").map(\.name) }
            #expect(!columns.contains("counters"))
        }
        let upgraded = try TuningDatabase(path: path)
        #expect(try upgraded.schemaVersion() == TuningDatabase.currentSchemaVersion)
        #expect(try upgraded.choices().isEmpty)
        try upgraded.record(choice: Sample.choice(profile: "aaaa", precision: "int8"))
        #expect(try upgraded.choices().count == 1)
        let trials = try upgraded.trials(runID: "run-1")
        #expect(trials.count == 1 && trials[0].gflops == 12.5 && trials[0].counters == nil)
        var second = Sample.trials(run: "run-1", count: 2)[1]
        second.counters = "{\"PAPI_TOT_CYC\":1000}"
        try upgraded.append(trial: second)
        #expect(try upgraded.trials(runID: "run-1")[1].counters == "{\"PAPI_TOT_CYC\":1000}")
    }

    @Test("two writers on one file (WAL, busy timeout) lose nothing")
    func concurrentWriters() async throws {
        let path = try temporaryPath("shared.sqlite")
        let setup = try TuningDatabase(path: path)
        try setup.save(profile: Sample.profile("aaaa"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<2 {
                group.addTask {
                    // Each writer has its own connection pool, as two processes would.
                    let database = try TuningDatabase(path: path)
                    try database.insert(run: Sample.run("run-\(writer)", profile: "aaaa"))
                    for trial in Sample.trials(run: "run-\(writer)", count: 50) { try database.append(trial: trial) }
                }
            }
            try await group.waitForAll()
        }
        #expect(try setup.counts().trials == 100)
    }
}

@Suite("tuning database: bad files")
struct TuningDatabaseBadFileTests {
    /// The error, and that the file's bytes and its folder are unchanged.
    func expectRefused(_ path: String, containing text: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let listing = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        let error = #expect(throws: FileError.self) { try TuningDatabase(path: path) }
        #expect(error?.path == path)
        #expect(error?.message.contains(text) == true, "\(error?.message ?? "")")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == listing)
    }

    @Test("a text file is not a SQLite database, and is left untouched")
    func notSQLite() throws {
        let path = try temporaryPath("notes.sqlite")
        try Data("these are my notes, not a database\n".utf8).write(to: URL(fileURLWithPath: path))
        try expectRefused(path, containing: "is not a SQLite database")
    }

    @Test("another application's SQLite database is refused, not migrated")
    func foreignDatabase() throws {
        let path = try temporaryPath("other.sqlite")
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in try db.execute(sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5)") }
        }
        try expectRefused(path, containing: "not a tunebench tuning database (tables: invoices)")
    }

    @Test("a truncated tuning database is reported corrupt")
    func truncated() throws {
        let path = try temporaryPath("cut.sqlite")
        do {
            let database = try Sample.filled(path, trials: 200)
            try database.pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        }
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count > 8192)
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = #expect(throws: FileError.self) {
            let database = try TuningDatabase(path: path)
            _ = try database.dump()
        }
        #expect(error?.message.contains("corrupt") == true || error?.message.contains("malformed") == true, "\(error?.message ?? "")")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("wrong-typed values or a missing column: refused in one line naming the file, table, column and row; file untouched",
          arguments: [("UPDATE trials SET gflops = 'fast' WHERE seq = 1", "has a text value in trials.gflops (row 2), where the schema stores double or null"),
                      ("UPDATE runs SET seed = x'0102'", "has a blob value in runs.seed (row 1), where the schema stores integer"),
                      ("ALTER TABLE trials DROP COLUMN wall_seconds", "has no column wall_seconds in table trials")])
    func wrongTypes(edit: String, message: String) throws {
        let path = try temporaryPath("typed.sqlite")
        do {
            let database = try Sample.filled(path)
            try database.write { db in try db.execute(sql: edit) }
            try database.pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        }
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try expectRefused(path, containing: message)
    }

    @Test("a database written by a newer tunebench is refused")
    func newerSchema() throws {
        let path = try temporaryPath("future.sqlite")
        do {
            let database = try Sample.filled(path)
            try database.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')") }
            try database.pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        }
        let error = #expect(throws: FileError.self) { try TuningDatabase(path: path) }
        #expect(error?.message.contains("newer tunebench") == true)
    }

    @Test("the file deleted or replaced while open: the next write fails and says so")
    func fileIdentity() throws {
        let deletedPath = try temporaryPath("deleted.sqlite")
        let deleted = try Sample.filled(deletedPath)
        try FileManager.default.removeItem(atPath: deletedPath)
        let gone = #expect(throws: FileError.self) { try deleted.record(best: Sample.best(profile: "aaaa", gflops: 50, run: "run-1")) }
        #expect(gone?.message.hasPrefix("was deleted during the run: this run stops here") == true, "\(String(describing: gone))")

        let replacedPath = try temporaryPath("replaced.sqlite"), otherPath = try temporaryPath("other.sqlite")
        let replaced = try Sample.filled(replacedPath)
        _ = try Sample.filled(otherPath, profile: "bbbb")
        let before = try Data(contentsOf: URL(fileURLWithPath: otherPath))
        #expect(rename(otherPath, replacedPath) == 0) // as `mv other.sqlite replaced.sqlite` does
        let swapped = #expect(throws: FileError.self) { try replaced.record(best: Sample.best(profile: "aaaa", gflops: 50, run: "run-1")) }
        #expect(swapped?.message.hasPrefix("was replaced by another file during the run") == true, "\(String(describing: swapped))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: replacedPath)) == before)

    }

    @Test("a ratio stored as inf or NaN (a profile with a zero roofline) exports as absent: the export does not fail")
    func nonFiniteRatios() throws {
        let database = try Sample.filled(try temporaryPath("inf.sqlite"))
        var best = Sample.best(profile: "aaaa", gflops: 40, run: "run-1")
        (best.rooflineFraction, best.speedupOverDefault) = (.infinity, .nan)
        try database.record(best: best)
        let dump = try database.dump()
        #expect(dump.best.allSatisfy { $0.rooflineFraction == nil && $0.speedupOverDefault == nil })
        let json = try StableJSON.encode(dump)
        #expect(!json.isEmpty)
    }

    @Test("a broken export names the file and the field")
    func brokenExport() throws {
        let missing = #expect(throws: FileError.self) {
            try DatabaseDump.decode(Data("{\"format\":\"tunebench-tuning-database\",\"schemaVersion\":2,\"profiles\":[],\"runs\":[],\"trials\":[{\"runId\":\"x\"}],\"best\":[]}".utf8), path: "dump.json")
        }
        #expect(missing?.description.hasPrefix("dump.json: ") == true)
        #expect(missing?.message.contains("trials[0]") == true, "\(missing?.message ?? "")")
        let wrongFormat = #expect(throws: FileError.self) {
            try DatabaseDump.decode(Data("{\"format\":\"something-else\",\"schemaVersion\":2,\"profiles\":[],\"runs\":[],\"trials\":[],\"best\":[]}".utf8), path: "x.json")
        }
        #expect(wrongFormat?.message.contains("something-else") == true)
        #expect(throws: FileError.self) { try DatabaseDump.decode(Data("not json".utf8), path: "x.json") }
    }
}
