import Foundation
import Testing

/// `tune`, `simulate` and `db` through the built binary: worker isolation with a real crash
/// and a real hang, resume after kill -9, two processes writing one database, round trips.
@Suite("tunebench tune and db", .serialized)
struct TuneCLITests {
    /// Register tiles only (five configurations); short time caps keep each trial fast.
    static let tiny = ["--kernel", "gemm", "--shape", "24x40x24", "--fix", "threads=1,loop=n,order=jr,pack_a=1,pack_b=2,nc=240,mc=48,kc=64",
                       "--time-cap", "0.02", "--rounds", "3"]

    /// How many configurations `tiny` leaves: the five 8-lane tiles, plus those of 16 lanes
    /// whose NR divides nc=240 in an AVX-512 build (tune's report says which).
    static func validConfigurations(_ stdout: String) throws -> Int {
        let line = try #require(stdout.split(separator: "\n").first { $0.contains("valid configurations in the space") })
        let words = line.split(separator: ";").last!.split(separator: " ")
        return try #require(Int(words[0]))
    }

    static func export(_ db: String) throws -> [String: Any] {
        let result = try CLITests.tunebench(["db", "export", "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// The tunebench binary started with `arguments`, its output discarded.
    static func startSilently(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func trials(_ db: String) throws -> [[String: Any]] {
        try #require(try export(db)["trials"] as? [[String: Any]])
    }

    @Test("a configuration that crashes the worker is recorded as crashed and the search goes on")
    func crashIsolated() throws {
        let db = try CLITests.temporaryDirectory() + "/t.sqlite"
        let result = try CLITests.tunebench(["tune"] + Self.tiny + ["--strategy", "exhaustive", "--no-seeds", "--db", db],
                                            environment: ["TUNEBENCH_WORKER_FAULT": "crash:mr=8,nc=240,nr=8,"])
        #expect(result.status == 0, "\(result.stderr)")
        let trials = try Self.trials(db)
        let valid = try Self.validConfigurations(result.stdout)
        #expect(trials.count == valid && valid >= 5)
        let crashed = trials.filter { $0["status"] as? String == "crashed" }
        #expect(crashed.count == 1)
        #expect((crashed.first?["config"] as? String)?.contains("mr=8,nc=240,nr=8,") == true)
        // The worker's last words are the trial's message, not the tuner's stderr.
        #expect(crashed.first?["message"] as? String == "the worker was killed by signal 6 (Aborted): Fatal error: injected crash (TUNEBENCH_WORKER_FAULT)")
        #expect(!result.stderr.split(separator: "\n").contains { $0.hasPrefix("Fatal error") }, "\(result.stderr)")
        #expect(trials.filter { $0["status"] as? String == "ok" }.count == valid - 1)
        #expect(result.stdout.contains("worker processes restarted after crashes or timeouts: 1"))
        #expect(result.stdout.contains("best:"))
    }

    @Test("a configuration that hangs is killed at the trial timeout and recorded as timed out")
    func hangIsolated() throws {
        let db = try CLITests.temporaryDirectory() + "/t.sqlite"
        let result = try CLITests.tunebench(["tune"] + Self.tiny + ["--strategy", "exhaustive", "--no-seeds", "--db", db, "--trial-timeout", "2"],
                                            environment: ["TUNEBENCH_WORKER_FAULT": "hang:mr=12,"])
        #expect(result.status == 0, "\(result.stderr)")
        let trials = try Self.trials(db)
        let timedOut = trials.filter { $0["status"] as? String == "timed_out" }
        #expect(timedOut.count == 1 && (timedOut.first?["config"] as? String)?.contains("mr=12,") == true)
        #expect(((timedOut.first?["wallSeconds"] as? Double) ?? 0) >= 2)
        #expect(trials.filter { $0["status"] as? String == "ok" }.count == (try Self.validConfigurations(result.stdout)) - 1)
    }

    @Test("kill -9 in the middle of a run, run the same command again: it resumes and re-measures nothing")
    func resumeAfterKill() throws {
        let db = try CLITests.temporaryDirectory() + "/t.sqlite"
        let arguments = ["tune", "--kernel", "gemm", "--shape", "32x32x32", "--fix", "threads=1,pack_b=2", "--strategy", "random",
                         "--budget", "150", "--time-cap", "0.05", "--rounds", "3", "--db", db, "--quiet"]
        let process = try Self.startSilently(arguments)
        var before: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            if FileManager.default.fileExists(atPath: db), let trials = try? Self.trials(db), trials.count >= 8 {
                break
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        before = try Self.trials(db)
        #expect(before.count >= 8 && before.count < 150, "killed after \(before.count) trials")
        let runs = try #require(try Self.export(db)["runs"] as? [[String: Any]])
        #expect(runs.count == 1 && runs.first?["status"] as? String == "running")

        let again = try CLITests.tunebench(arguments)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("resumed: \(before.count) trials reused"))
        let after = try Self.trials(db)
        #expect(after.count == 150)
        #expect(after.compactMap { $0["seq"] as? Int } == Array(0..<150))
        #expect(Set(after.compactMap { $0["config"] as? String }).count == 150)
        // The trials from before the kill are the same rows, measured once.
        for (old, new) in zip(before, after) {
            #expect(old["measuredAt"] as? String == new["measuredAt"] as? String)
            #expect(old["config"] as? String == new["config"] as? String)
        }
        let finished = try #require(try Self.export(db)["runs"] as? [[String: Any]])
        #expect(finished.count == 1 && finished.first?["status"] as? String == "finished")
    }

    @Test("the same tune twice at once on one file: the second is refused while the first's run is live, the first finishes untouched")
    func liveRunNotTakenOver() throws {
        let db = try CLITests.temporaryDirectory() + "/t.sqlite"
        let arguments = ["tune", "--kernel", "gemm", "--shape", "32x32x32", "--fix", "threads=1,pack_b=2", "--strategy", "random",
                         "--budget", "120", "--time-cap", "0.05", "--rounds", "3", "--db", db, "--quiet"]
        let first = try Self.startSilently(arguments)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, first.isRunning {
            Thread.sleep(forTimeInterval: 0.1)
            if FileManager.default.fileExists(atPath: db), let trials = try? Self.trials(db), trials.count >= 3 { break }
        }
        let second = try CLITests.tunebench(arguments)
        first.waitUntilExit()
        #expect(second.status == 1)
        #expect(second.stderr.contains("is being tuned right now by another tunebench process on this machine"), "\(second.stderr)")
        #expect(first.terminationStatus == 0)
        let trials = try Self.trials(db)
        #expect(trials.compactMap { $0["seq"] as? Int } == Array(0..<120))
        let runs = try #require(try Self.export(db)["runs"] as? [[String: Any]])
        #expect(runs.count == 1 && runs.first?["status"] as? String == "finished")
    }

    @Test("two tune processes writing one database at the same time lose nothing")
    func concurrentProcesses() throws {
        let folder = try CLITests.temporaryDirectory()
        let db = folder + "/t.sqlite"
        let shapes = ["24x24x24", "32x24x24"]
        let processes = try shapes.map { shape in
            let process = Process()
            process.executableURL = CLITests.binary
            process.arguments = ["tune", "--kernel", "gemm", "--shape", shape, "--fix", "threads=1,pack_b=2", "--strategy", "random",
                                 "--budget", "25", "--time-cap", "0.01", "--rounds", "3", "--db", db, "--quiet"]
            process.standardOutput = FileHandle.nullDevice
            // Kept for the failure message: what a failing process said.
            FileManager.default.createFile(atPath: "\(folder)/\(shape).stderr", contents: nil)
            process.standardError = FileHandle(forWritingAtPath: "\(folder)/\(shape).stderr")
            try process.run()
            return process
        }
        for process in processes { process.waitUntilExit() }
        let said = shapes.map { (try? String(contentsOfFile: "\(folder)/\($0).stderr", encoding: .utf8)) ?? "" }.joined(separator: "\n")
        #expect(processes.allSatisfy { $0.terminationStatus == 0 }, "\(said)")
        let dump = try Self.export(db)
        #expect((dump["trials"] as? [Any])?.count == 50)
        #expect((dump["runs"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String == "finished" } == true)
        #expect((dump["best"] as? [Any])?.count == 2)
    }

    @Test("db export → import into a new file → export is byte-identical; merge adds nothing twice")
    func exportImportMerge() throws {
        let folder = try CLITests.temporaryDirectory()
        let db = folder + "/a.sqlite"
        #expect(try CLITests.tunebench(["tune"] + Self.tiny + ["--budget", "3", "--db", db, "--quiet"]).status == 0)
        let exported = try CLITests.tunebench(["db", "export", "--db", db, "--output", folder + "/a.json"])
        #expect(exported.status == 0)
        let imported = try CLITests.tunebench(["db", "import", folder + "/a.json", "--db", folder + "/b.sqlite"])
        #expect(imported.status == 0 && imported.stdout.contains("added 1 profiles, 1 runs, 3 trials, 1 best"))
        #expect(try CLITests.tunebench(["db", "export", "--db", folder + "/b.sqlite", "--output", folder + "/b.json"]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/a.json")) == Data(contentsOf: URL(fileURLWithPath: folder + "/b.json")))
        let merged = try CLITests.tunebench(["db", "merge", db, "--db", folder + "/b.sqlite"])
        #expect(merged.status == 0 && merged.stdout.contains("added 0 profiles, 0 runs, 0 trials, 0 best"))
        let listed = try CLITests.tunebench(["db", "list", "--db", folder + "/b.sqlite"])
        #expect(listed.stdout.contains("1 profiles, 1 runs, 3 trials, 1 best configurations"))
        let shown = try CLITests.tunebench(["db", "show", "--db", folder + "/b.sqlite", "--runs"])
        #expect(shown.stdout.contains("gemm m=24 n=40 k=24") && shown.stdout.contains("finished"))
    }

    @Test("a file that is not a tuning database: one line naming it, exit 1, file untouched")
    func notADatabase() throws {
        let folder = try CLITests.temporaryDirectory()
        let path = folder + "/notes.sqlite"
        let text = Data("not a database\n".utf8)
        try text.write(to: URL(fileURLWithPath: path))
        for command in [["db", "list", "--db", path], ["tune"] + Self.tiny + ["--db", path]] {
            let result = try CLITests.tunebench(command)
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("tunebench: error: \(path): is not a SQLite database"), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == text)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["notes.sqlite"])
        let missing = try CLITests.tunebench(["db", "list", "--db", folder + "/none.sqlite"])
        #expect(missing.status == 1 && missing.stderr.contains("none.sqlite: no such database"))
    }

    @Test("tune --strategy exhaustive --write-space, then simulate replays it; --t4 writes T4")
    func writeSpaceAndSimulate() throws {
        let folder = try CLITests.temporaryDirectory()
        let tuned = try CLITests.tunebench(["tune"] + Self.tiny + ["--strategy", "exhaustive", "--db", folder + "/t.sqlite", "--quiet",
                                                                     "--write-space", folder + "/space.json", "--t4", folder + "/t4.json"])
        #expect(tuned.status == 0, "\(tuned.stderr)")
        let valid = try Self.validConfigurations(tuned.stdout)
        let simulated = try CLITests.tunebench(["simulate", "--space", folder + "/space.json", "--strategy", "exhaustive,random",
                                                "--budget", "\(valid)", "--repeats", "3"])
        #expect(simulated.status == 0, "\(simulated.stderr)")
        #expect(simulated.stdout.contains("\(valid) recorded configurations"))
        let exhaustiveRow = try #require(simulated.stdout.split(separator: "\n").first { $0.contains("exhaustive") })
        #expect(exhaustiveRow.contains("100.0%"))
        let t4 = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/t4.json"))) as? [String: Any])
        #expect((t4["results"] as? [Any])?.count == valid && t4["schema_version"] as? String == "1.0.0")
        let fromT4 = try CLITests.tunebench(["simulate", "--space", folder + "/t4.json", "--strategy", "random", "--budget", "5", "--repeats", "2"])
        #expect(fromT4.status == 0 && fromT4.stdout.contains("\(valid) recorded configurations"))
        let bad = try CLITests.tunebench(["simulate", "--space", folder + "/t.sqlite"])
        #expect(bad.status == 1 && bad.stderr.contains("t.sqlite is neither a tunebench recorded space"))
    }

    @Test("autotune a layer list: unsupported ops warned about, a table and a model total; broken workloads name the file and field")
    func autotune() throws {
        let folder = try CLITests.temporaryDirectory()
        let layers = folder + "/layers.json"
        try Data("""
            {"layers": [{"name": "fc", "op": "gemm", "m": 8, "n": 32, "k": 32, "count": 2}, {"name": "pool", "op": "maxpool"}]}
            """.utf8).write(to: URL(fileURLWithPath: layers))
        let result = try CLITests.tunebench(["autotune", "--layers", layers, "--precision", "fp32,int8", "--time", "3s", "--time-cap", "0.02",
                                             "--db", folder + "/t.sqlite", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: not imported: pool: op \"maxpool\""))
        #expect(result.stdout.contains("gemm m=8 n=32 k=32"))
        #expect(result.stdout.contains("forward pass over the imported layers"))
        let config = folder + "/config.json"
        try Data(#"{"model_type": "llama", "hidden_size": "big"}"#.utf8).write(to: URL(fileURLWithPath: config))
        let broken = try CLITests.tunebench(["autotune", "--hf-config", config, "--db", folder + "/t.sqlite"])
        #expect(broken.status == 1)
        #expect(broken.stderr == "tunebench: error: \(config): field \"hidden_size\" must be a positive integer, got \"big\"\n")
    }

    @Test("autotune an ONNX model: unsupported operators warned about, errors on the model's weights; bad models and dimensions refused, the database untouched")
    func autotuneONNX() throws {
        let folder = try CLITests.temporaryDirectory()
        let db = folder + "/t.sqlite"
        let fixtures = CLITests.root.appendingPathComponent("Tests/Fixtures/onnx")
        let model = fixtures.appendingPathComponent("unsupported-op.onnx").path
        let result = try CLITests.tunebench(["autotune", "--model", model, "--precision", "fp32,int8", "--time", "3s", "--time-cap", "0.02",
                                             "--db", db, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: not imported: unsupported operator TopK (node \"topk\"): skipped"))
        #expect(result.stderr.contains("warning: not imported: unsupported operator com.example.FancyAttention (node \"custom\"): skipped"))
        #expect(result.stdout.contains("gemm m=8 n=16 k=32"))
        #expect(result.stdout.contains("error on the model's weights"))
        // TopK has no reference implementation: the model cannot run, so the limit holds per layer.
        #expect(result.stdout.contains("accuracy: each layer within 0.01 on its own (the model does not run here"), "\(result.stdout)")
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let truncated = fixtures.appendingPathComponent("truncated.onnx").path
        let broken = try CLITests.tunebench(["autotune", "--model", truncated, "--db", db])
        #expect(broken.status == 1)
        #expect(broken.stderr == "tunebench: error: \(truncated): is not a valid ONNX model: the file is truncated (its data ends inside a field)\n")
        let mlp = CLITests.root.appendingPathComponent("examples/onnx/mlp.onnx").path
        let unbound = try CLITests.tunebench(["autotune", "--model", mlp, "--db", db])
        #expect(unbound.status == 1)
        #expect(unbound.stderr == "tunebench: error: \(mlp): symbolic dimension batch not bound: give --dim batch=N\n")
        let badDim = try CLITests.tunebench(["autotune", "--model", mlp, "--dim", "batch=one", "--db", db])
        #expect(badDim.status != 0 && badDim.stderr.contains("--dim takes name=sizes with positive sizes"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
    }

    @Test("autotune → export → run → verify: the model runs its tuned (chosen) configurations within tolerance")
    func deployment() throws {
        let folder = try CLITests.temporaryDirectory()
        let db = folder + "/t.sqlite"
        let mlp = CLITests.root.appendingPathComponent("examples/onnx/mlp.onnx").path
        let tune = try CLITests.tunebench(["autotune", "--model", mlp, "--dim", "batch=8", "--precision", "fp32,int8", "--time", "4s",
                                           "--time-cap", "0.02", "--db", db, "--quiet"])
        #expect(tune.status == 0, "\(tune.stderr)")
        // The whole pass with the choices, measured in the compiled plan beside the prediction.
        let measured = try #require(tune.stdout.split(separator: "\n").first { $0.hasPrefix("whole forward pass, measured in the compiled plan") })
        #expect(measured.contains("in the layers") && measured.contains("predicted by the layers alone: ") && !measured.contains("not known"),
                "\(measured)")
        let artifact = folder + "/deploy.json"
        let export = try CLITests.tunebench(["export", "--db", db, "-o", artifact])
        #expect(export.status == 0 && export.stderr.contains("wrote \(artifact): 6 entries for 1 profile(s)"), "\(export.stderr)")
        let header = try CLITests.tunebench(["export", "--db", db, "--format", "c-header"])
        #expect(header.stdout.contains("static const size_t tunebench_entry_count = 6;"))
        let run = try CLITests.tunebench(["run", "--model", mlp, "--dim", "batch=8", "--artifact", artifact, "--passes", "3", "--threads", "1",
                                          "--profile", "--json", folder + "/run.json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("exact"))
        #expect(run.stdout.contains("nodes on the reference operators per pass: none") && run.stdout.contains("profile of the tuned plan"))
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/run.json"))) as? [String: Any])
        #expect(summary["threads"] as? Int == 1 && (summary["layers"] as? [Any])?.count == 3)
        #expect((summary["profile"] as? [String: Double])?.contains { $0.key.hasPrefix("layer ") && $0.value > 0 } == true, "\(summary)")
        // Configurations tuned for more threads run on the one asked for.
        #expect((summary["layers"] as? [[String: Any]])?.allSatisfy { ($0["parameters"] as? String)?.contains("threads=2") != true } == true)
        let errorLine = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("output error") })
        let words = errorLine.split(separator: " ")
        let tunedError = words.firstIndex(of: "tuned").flatMap { Double(words[$0 + 1].dropLast()) } ?? 1
        #expect(tunedError < 0.02, "\(errorLine)")
        let verify = try CLITests.tunebench(["verify", "--db", db, "--rounds", "2", "--time-cap", "0.02"])
        #expect([0, 3].contains(verify.status), "\(verify.stderr)")
        #expect(verify.stdout.contains("3 recorded best configurations re-measured") || verify.stdout.contains("6 recorded best configurations re-measured"), "\(verify.stdout)")
        let unknown = try CLITests.tunebench(["export", "--db", db, "--profile", "0000000000000000"])
        #expect(unknown.status == 1 && unknown.stderr.contains("has no tuned layer for profile 0000000000000000"))
    }

    @Test("db push copies a SQLite database into PostgreSQL; export, import and merge work across both; the password never shows",
          .enabled(if: ProcessInfo.processInfo.environment["TUNEBENCH_TEST_POSTGRES"] != nil, "needs the server scripts/test starts"))
    func postgresPush() throws {
        let url = try #require(ProcessInfo.processInfo.environment["TUNEBENCH_TEST_POSTGRES"])
        let password = try #require(ProcessInfo.processInfo.environment["PGPASSWORD"])
        let folder = try CLITests.temporaryDirectory()
        let sqlite = folder + "/local.sqlite"
        let tune = try CLITests.tunebench(["tune", "--kernel", "gemm", "--shape", "16x16x16", "--budget", "3", "--time-cap", "0.01",
                                           "--no-isolation", "--db", sqlite, "--quiet"])
        #expect(tune.status == 0, "\(tune.stderr)")
        let push = try CLITests.tunebench(["db", "push", sqlite, "--to", url])
        #expect(push.status == 0, "\(push.stderr)")
        // (Other tests on the same server may have saved this machine's profile already.)
        #expect(push.stdout.contains(" profiles, 1 runs, 3 trials, "), "\(push.stdout)")
        let again = try CLITests.tunebench(["db", "push", sqlite, "--to", url])
        #expect(again.stdout.contains("added 0 profiles, 0 runs, 0 trials, 0 best configurations"), "\(again.stdout)")
        // PostgreSQL → JSON → a new SQLite file: the local run is there with its trials.
        let export = try CLITests.tunebench(["db", "export", "--db", url, "-o", folder + "/pg.json"])
        #expect(export.status == 0, "\(export.stderr)")
        let local = try CLITests.tunebench(["db", "export", "--db", sqlite])
        let localDump = try #require(try JSONSerialization.jsonObject(with: Data(local.stdout.utf8)) as? [String: Any])
        let runID = try #require(((localDump["runs"] as? [[String: Any]])?.first)?["id"] as? String)
        let pgText = try String(contentsOfFile: folder + "/pg.json", encoding: .utf8)
        #expect(pgText.contains(runID))
        let merged = try CLITests.tunebench(["db", "merge", "--db", folder + "/copy.sqlite", url])
        #expect(merged.status == 0 && merged.stdout.contains("added"), "\(merged.stderr)")
        for output in [push.stdout, push.stderr, again.stdout, export.stderr, merged.stdout, merged.stderr] { #expect(!output.contains(password)) }
        // A password in the location is refused, not used.
        let inline = url.replacingOccurrences(of: "tunebench@", with: "tunebench:\(password)@")
        let refused = try CLITests.tunebench(["db", "export", "--db", inline])
        #expect(refused.status == 1 && refused.stderr.contains("has a password in it; give the password in PGPASSWORD"))
        #expect(!refused.stderr.contains(password) && refused.stderr.contains("tunebench:***@"), "\(refused.stderr)")
    }
}
