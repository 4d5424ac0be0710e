import Foundation
import PostgresNIO
import Synchronization
import Testing
import TunebenchCore
import TuningDatabase

@testable import TuningDatabasePostgres

/// The real PostgreSQL server scripts/test starts (scripts/postgres-test-server): its location
/// in TUNEBENCH_TEST_POSTGRES, its password in PGPASSWORD. Each test gets a database of its own.
enum TestServer {
    static let location = ProcessInfo.processInfo.environment["TUNEBENCH_TEST_POSTGRES"]
    static var available: Bool { location != nil }

    static func freshDatabase() throws -> PostgresLocation {
        var target = try PostgresLocation(parsing: location!)
        let admin = try PostgresTuningDatabase(location: target)
        target.database = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try admin.execute(PostgresQuery(unsafeSQL: "CREATE DATABASE \(target.database)"))
        return target
    }

    /// A SQLite database with a bit of everything: two profiles, runs (one still running),
    /// ok and failed trials, best configurations and a precision choice.
    static func sampleSQLite() throws -> TuningDatabase {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let database = try TuningDatabase(path: folder.appendingPathComponent("s.sqlite").path)
        for id in ["aaaa", "bbbb"] { try database.save(profile: ProfileRecord(id: id, name: "machine \(id)", json: "{\"id\":\"\(id)\"}", addedAt: "2026-11-29T04:00:00.000Z")) }
        let provenance = Provenance(tunebenchVersion: "0.1.0", kernelLibraryVersion: "0.3.1", compiler: "Swift 6.3.1", buildFlags: "-Ounchecked",
                                    gitCommit: "abc", host: "h")
        for (index, id) in ["run-1", "run-2"].enumerated() {
            try database.insert(run: RunRecord(id: id, profileId: index == 0 ? "aaaa" : "bbbb", layer: "gemm m=32 n=64 k=64", kernel: "gemm", strategy: "random",
                                              seed: 7, fixed: "threads=1", budgetTrials: 10, budgetSeconds: nil, status: .running,
                                              startedAt: "2026-11-29T04:00:00.000Z", provenance: provenance))
        }
        try database.finish(runID: "run-1", at: "2026-11-29T05:00:00.000Z")
        for seq in 0..<5 {
            var trial = TrialRecord(runId: "run-1", seq: seq, config: "gemm kc=\(64 * (seq + 1))", source: "random", status: seq == 3 ? .crashed : .ok,
                                    measuredAt: "2026-11-29T04:00:0\(seq).000Z", wallSeconds: 0.25)
            if seq != 3 {
                trial.medianSeconds = 1e-4 * Double(seq + 1)
                trial.gflops = 40.5 / Double(seq + 1)
                trial.converged = seq % 2 == 0
                trial.samples = 12
                trial.counters = "{\"perf::TASK-CLOCK\":1234.5}"
            } else {
                trial.message = "signal 11"
            }
            try database.append(trial: trial)
        }
        try database.record(best: BestRecord(profileId: "aaaa", layer: "gemm m=32 n=64 k=64", kernelLibraryVersion: "0.3.1", kernel: "gemm",
                                             config: "gemm kc=64", medianSeconds: 1e-4, gflops: 40.5, rooflineFraction: 0.41, margin: 1.02,
                                             runnerUpConfig: "gemm kc=128", defaultConfig: "gemm kc=256", speedupOverDefault: 1.3, runId: "run-1",
                                             updatedAt: "2026-11-29T05:00:00.000Z"))
        try database.record(choice: ChoiceRecord(profileId: "aaaa", layer: "gemm m=32 n=64 k=64", kernelLibraryVersion: "0.3.1", policy: "fp32",
                                                 precision: "fp32", bestLayer: "gemm m=32 n=64 k=64", relativeError: nil, errorOnModelWeights: false,
                                                 decidedAt: "2026-11-29T05:00:00.000Z"))
        return database
    }
}

@Suite("PostgreSQL store", .serialized, .enabled(if: TestServer.available, "needs the server scripts/test starts (TUNEBENCH_TEST_POSTGRES)"))
struct PostgresTuningDatabaseTests {
    @Test("a SQLite database pushed into PostgreSQL exports the same bytes; pushing again adds nothing")
    func push() throws {
        let sqlite = try TestServer.sampleSQLite()
        let postgres = try PostgresTuningDatabase(location: try TestServer.freshDatabase())
        let summary = try postgres.merge(try sqlite.dump())
        #expect(summary.profilesAdded == 2 && summary.runsAdded == 2 && summary.trialsAdded == 5 && summary.bestAdded == 1 && summary.choicesAdded == 1)
        #expect(try postgres.dump().encoded() == sqlite.dump().encoded())
        let again = try postgres.merge(try sqlite.dump())
        #expect(again.profilesAdded + again.runsAdded + again.trialsAdded + again.bestAdded + again.bestReplaced + again.choicesAdded == 0)
        #expect(again.alreadyPresent == 11)
        #expect(try postgres.counts() == (2, 2, 5, 1))
        // And back: PostgreSQL → a new SQLite file, byte-identical export.
        let back = try TuningDatabase(path: FileManager.default.temporaryDirectory.appendingPathComponent("tb-back-\(UUID().uuidString).sqlite").path)
        try back.merge(try postgres.dump())
        #expect(try back.dump().encoded() == sqlite.dump().encoded())
    }

    @Test("merge keeps the faster best, the newer choice, and marks a run finished elsewhere")
    func mergeRules() throws {
        let postgres = try PostgresTuningDatabase(location: try TestServer.freshDatabase())
        var dump = try TestServer.sampleSQLite().dump()
        try postgres.merge(dump)
        dump.best[0].gflops = 30 // slower: kept out
        dump.runs[1].status = .finished
        dump.runs[1].finishedAt = "2026-11-29T06:00:00.000Z"
        dump.choices[0].precision = "int8"
        dump.choices[0].decidedAt = "2026-11-30T00:00:00.000Z"
        let summary = try postgres.merge(dump)
        #expect(summary.bestReplaced == 0 && summary.choicesReplaced == 1)
        let after = try postgres.dump()
        #expect(after.best[0].gflops == 40.5 && after.choices[0].precision == "int8")
        #expect(after.runs.map(\.status) == [.finished, .finished])
        dump.best[0].gflops = 90
        #expect(try postgres.merge(dump).bestReplaced == 1)
        #expect(try postgres.dump().best[0].gflops == 90)
    }

    @Test("four writers at once, on their own connections, with overlapping rows: nothing lost, nothing doubled")
    func concurrentWriters() throws {
        let location = try TestServer.freshDatabase()
        let sample = try TestServer.sampleSQLite().dump()
        try PostgresTuningDatabase(location: location).merge(DatabaseDump(profiles: sample.profiles, runs: sample.runs, trials: [], best: []))
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { writer in
            do {
                let database = try PostgresTuningDatabase(location: location)
                // Every writer appends the shared trials 0 ..< 20, and 50 of its own.
                for seq in Array(0..<20) + Array((1000 * (writer + 1))..<(1000 * (writer + 1) + 50)) {
                    try database.append(trial: TrialRecord(runId: "run-2", seq: seq, config: "gemm kc=64", source: "random", status: .ok,
                                                           measuredAt: "2026-11-29T04:00:00.000Z", wallSeconds: 0.1))
                }
                try database.merge(sample)
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        let trials = try PostgresTuningDatabase(location: location).dump().trials.filter { $0.runId == "run-2" }
        #expect(trials.count == 20 + 4 * 50)
        var expected = Set(0..<20)
        for writer in 1...4 { expected.formUnion((1000 * writer)..<(1000 * writer + 50)) }
        #expect(Set(trials.map(\.seq)) == expected)
    }

    @Test("the location: no password in it, the password from PGPASSWORD or a password file, never in any message")
    func location() throws {
        #expect(throws: FileError.self) { try PostgresLocation(parsing: "postgres://tb:secret@127.0.0.1:5432/db") }
        #expect((try? PostgresLocation(parsing: "postgres://127.0.0.1/db")) == nil)
        #expect((try? PostgresLocation(parsing: "postgres://tb@127.0.0.1:5432/")) == nil)
        let location = try PostgresLocation(parsing: "postgresql://tb@db.example:6543/tuning")
        #expect(location.description == "postgres://tb@db.example:6543/tuning")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tb-pgpass-\(UUID().uuidString)").path
        try Data("# comment\nother:5432:*:tb:nope\ndb.example:6543:*:tb:s3cret\n".utf8).write(to: URL(fileURLWithPath: file))
        #expect(try location.password(environment: ["PGPASSFILE": file]) == "s3cret")
        #expect(try location.password(environment: ["PGPASSWORD": "from-env", "PGPASSFILE": file]) == "from-env")
        #expect(throws: FileError.self) { try location.password(environment: ["PGPASSFILE": "/nonexistent", "HOME": "/nonexistent"]) }
        // A wrong password: refused by the server, and the message does not carry it.
        var real = try PostgresLocation(parsing: TestServer.location!)
        real.database = "tunebench"
        let error = #expect(throws: FileError.self) { try PostgresTuningDatabase(location: real, environment: ["PGPASSWORD": "wrong-password-123"]) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("cannot connect") && !text.contains("wrong-password-123"), "\(text)")
    }

    @Test("the location's parameters: sslmode, timeouts; an unknown or bad one is refused, not ignored")
    func locationParameters() throws {
        let location = try PostgresLocation(parsing: "postgres://tb@db.example/tuning?sslmode=verify-full&statement_timeout=7.5&reconnect_timeout=20&connect_timeout=3")
        #expect(location.options.sslMode == .verifyFull && location.options.statementTimeout == 7.5)
        #expect(location.options.reconnectTimeout == 20 && location.options.connectTimeout == 3)
        #expect(location.description == "postgres://tb@db.example:5432/tuning?sslmode=verify-full&statement_timeout=7.5&reconnect_timeout=20&connect_timeout=3")
        #expect(try PostgresLocation(parsing: "postgres://tb@db.example/tuning").options == ConnectionOptions())
        for (query, reason) in [("sslmode=sometimes", "use one of disable, allow, prefer, require, verify-ca, verify-full"),
                                ("statement_timeout=-1", "give a number of seconds above 0"), ("reconnect_timeout=inf", "give a number of seconds above 0"),
                                ("ssl=true", "unknown parameter ssl")] {
            let error = #expect(throws: FileError.self) { try PostgresLocation(parsing: "postgres://tb@db.example/tuning?" + query) }
            #expect(error?.message.contains(reason) == true, "\(query): \(String(describing: error))")
        }
    }

    @Test("sslmode=require encrypts the connection; disable does not; verify-full refuses an untrusted certificate")
    func sslModes() throws {
        func encrypted(_ mode: String) throws -> Bool {
            let database = try PostgresTuningDatabase(parsing: TestServer.location! + "?sslmode=" + mode)
            return try database.transaction { try database.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").rows.first?.decode(Bool.self) } ?? false
        }
        #expect(try encrypted("require"))
        #expect(try encrypted("prefer"))
        #expect(try !encrypted("disable"))
        let error = #expect(throws: FileError.self) { try PostgresTuningDatabase(parsing: TestServer.location! + "?sslmode=verify-full") }
        #expect(error?.message.contains("TLS certificate is not trusted") == true, "\(String(describing: error))")
        let missing = #expect(throws: FileError.self) { try PostgresTuningDatabase(parsing: TestServer.location! + "?sslmode=verify-ca&sslrootcert=/nonexistent/root.crt") }
        #expect(missing?.message.contains("cannot read the root certificate file /nonexistent/root.crt") == true)
    }

    @Test("a database written by a newer tunebench is refused")
    func newerSchema() throws {
        let location = try TestServer.freshDatabase()
        let database = try PostgresTuningDatabase(location: location)
        try database.execute("UPDATE tunebench_schema SET version = 99")
        let error = #expect(throws: FileError.self) { try PostgresTuningDatabase(location: location) }
        #expect(error?.message == "was written by a newer tunebench (schema 99, this build knows \(TuningDatabase.currentSchemaVersion))")
    }

    @Test("a database of schema 3 gains the model-check columns when opened, its choices kept")
    func upgradesSchema3() throws {
        let location = try TestServer.freshDatabase()
        let database = try PostgresTuningDatabase(location: location)
        try database.execute("ALTER TABLE choices DROP COLUMN model_check")
        try database.execute("ALTER TABLE choices DROP COLUMN model_output_error")
        try database.execute("UPDATE tunebench_schema SET version = 3")
        try database.execute("""
            INSERT INTO choices (profile_id, layer, kernel_library_version, policy, precision, best_layer, relative_error, error_on_model_weights, decided_at)
            VALUES ('p', 'gemm m=1 n=8 k=8', 'v', 'max-error 0.01 over fp32,int8', 'int8', 'gemm m=1 n=8 k=8 int8', 0.001, true, 't')
            """)
        let upgraded = try PostgresTuningDatabase(location: location)
        #expect(try upgraded.schemaVersion() == TuningDatabase.currentSchemaVersion)
        let kept = try upgraded.choices()
        #expect(kept.count == 1 && kept[0].precision == "int8" && kept[0].modelCheck == nil)
        var checked = kept[0]
        checked.modelCheck = "m.onnx: relative L2 against fp32, worst of 2 seeded calibration inputs, limit 0.01"
        checked.modelOutputError = 0.004
        try upgraded.record(choice: checked)
        #expect(try upgraded.choices() == [checked])
    }
}
