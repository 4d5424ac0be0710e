import Foundation
import Testing

/// The command line as users meet it: the built binary, its exit status, stdout and stderr.
@Suite("tunebench command line", .serialized)
struct CLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/Fixtures/hwloc")

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static var binary: URL { root.appendingPathComponent(".build/debug/tunebench") }

    static func tunebench(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build first: swift build")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tb-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("hostile counts and durations: threads=0 or a huge thread count, a negative --time: one line, exit 1, nothing started")
    func hostileArguments() throws {
        for arguments in [["--threads", "0"], ["--config", "threads=0"], ["--config", "threads=100000"]] {
            let result = try Self.tunebench(["bench", "gemm", "--shape", "8x8x8"] + arguments)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("is not one of") && result.stderr.contains("threads="), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Backtrace") && !result.stderr.contains("Fatal error"), "\(arguments)")
        }
        let negative = try Self.tunebench(["autotune", "--model", Self.root.appendingPathComponent("examples/onnx/mlp.onnx").path, "--dim", "batch=1",
                                           "--time", "-5s"])
        #expect(negative.status != 0 && negative.stderr.contains("a duration is a positive number") && negative.stderr.contains("\"-5s\""),
                "\(negative.stderr)")
    }

    @Test("shapes beyond memory or 2^31 are refused before allocation; --vs-openblas races cblas_sgemv for one row, cblas_sgemm otherwise")
    func shapesAndPeers() throws {
        for (shape, said) in [("99999999x99999999x99999999", "needs at least 107 PiB of memory for its operands"),
                              ("9223372036854775807x2x2", "M, N and K must be between 1 and 2147483647")] {
            let result = try Self.tunebench(["bench", "gemm", "--shape", shape])
            #expect(result.status == 1 && result.stderr.contains(said), "\(shape): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("preparing"), "\(shape)")
        }
        // The peer validates its output before the race: a wrong sgemv call fails the command.
        for (shape, routine) in [("1x96x64", "cblas_sgemv"), ("8x96x64", "cblas_sgemm")] {
            let result = try Self.tunebench(["bench", "gemm", "--shape", shape, "--vs-openblas", "--rounds", "3", "--time-cap", "0.05"])
            #expect(result.status == 0, "\(shape): \(result.stderr)")
            #expect(result.stdout.contains("OpenBLAS \(routine): ours"), "\(shape): \(result.stdout)")
        }
        // --peer-huge-pages names the peer's memory in the result.
        let huge = try Self.tunebench(["bench", "gemm", "--shape", "1x96x64", "--vs-openblas", "--peer-huge-pages", "--rounds", "3", "--time-cap", "0.05"])
        #expect(huge.status == 0 && huge.stdout.contains("cblas_sgemv (its weights on huge pages): ours"), "\(huge.stdout)\(huge.stderr)")
    }

    @Test("--vs-precisions: an int8 dot-product configuration against fp32, which drops the parameters only int8 has (group, act, isa)")
    func precisionRace() throws {
        let result = try Self.tunebench(["bench", "gemm", "--shape", "8x64x128", "--precision", "int8",
                                         "--config", "act=s8,isa=avx2,mr=2,nr=16,kc=128,mc=48,nc=256,loop=n,order=jr,pack_a=0,pack_b=2,group=32",
                                         "--vs-precisions", "fp32@mr=6+nr=16", "--rounds", "3", "--time-cap", "0.05"])
        #expect(result.status == 0, "\(result.stderr)")
        let fp32 = result.stdout.split(separator: "\n").first { $0.contains(" fp32 ") }
        #expect(fp32 != nil && !fp32!.contains("act=") && !fp32!.contains("isa=") && !fp32!.contains("group=") && fp32!.contains("mr=6"),
                "\(result.stdout)")
    }

    /// Starts the tunebench binary with SIGINT and SIGTERM at their default actions and
    /// unblocked (a test runner may ignore or block them, and both carry across exec), output
    /// discarded; its pid.
    static func spawn(_ arguments: [String], environment: [String: String]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // And unblocked: the test runner's threads block them, and a mask is inherited too.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([binary.path] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let status = posix_spawn(&pid, binary.path, &actions, &attributes, argv, envp)
        guard status == 0 else { throw CocoaError(.fileReadUnknown) }
        return pid
    }

    /// The pid of the worker a tuner started (its environment names the tuner), nil if none.
    static func worker(of tuner: pid_t) -> pid_t? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry), let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("TUNEBENCH_WORKER_PARENT=\(tuner)") { return pid }
        }
        return nil
    }

    @Test("the trial worker does not outlive its tuner: SIGKILL, SIGTERM or SIGINT of the tuner during a hung trial ends it; SIGINT and SIGTERM mark the run interrupted",
          arguments: [SIGKILL, SIGTERM, SIGINT])
    func workerDiesWithTuner(signal: Int32) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build first: swift build")
        let directory = try Self.temporaryDirectory()
        let tuner = try Self.spawn(["tune", "--kernel", "gemm", "--shape", "32x32x32", "--time", "60s", "--db", "\(directory)/t.sqlite", "--quiet"],
                                   environment: ["TUNEBENCH_WORKER_FAULT": "hang:gemm"])
        var worker: pid_t?
        for _ in 0..<200 where worker == nil {
            usleep(100_000)
            worker = Self.worker(of: tuner)
        }
        guard let pid = worker else {
            kill(tuner, SIGKILL)
            Issue.record("the tuner started no worker")
            return
        }
        usleep(500_000) // the worker is in its hung trial now
        kill(tuner, signal)
        var status: Int32 = 0
        waitpid(tuner, &status, 0)
        if signal == SIGKILL {
            #expect(status & 0x7f == signal, "the tuner ended by signal \(status & 0x7f), not \(signal)")
        } else {
            // Handled: the run marked interrupted (resumable), the exit status the shell's 128+signal.
            #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 128 + signal, "wait status \(status)")
            let runs = try #require(try TuneCLITests.export("\(directory)/t.sqlite")["runs"] as? [[String: Any]])
            #expect(runs.count == 1 && runs.first?["status"] as? String == "interrupted", "\(runs)")
        }
        var alive = true
        for _ in 0..<50 where alive {
            usleep(100_000)
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
            alive = state != nil && state != "Z"
        }
        #expect(!alive, "worker \(pid) outlived its tuner (signal \(signal)) by 5 s")
        if alive { kill(pid, SIGKILL) }
    }

    @Test("a missing topology file: exit 1 and one line naming it")
    func missingTopology() throws {
        let result = try Self.tunebench(["probe", "--topology", "/no/such.xml"])
        #expect(result.status == 1)
        #expect(result.stderr == "tunebench: error: cannot load hwloc XML at /no/such.xml: no such file\n")
        #expect(result.stdout.isEmpty)
    }

    @Test("--json prints a profile with the schema version; --save writes profiles/<id>.json")
    func jsonAndSave() throws {
        let directory = try Self.temporaryDirectory()
        let fixture = Self.fixtures.appendingPathComponent("synthetic-2pack-4numa-64pu.xml").path
        let result = try Self.tunebench(["probe", "--topology", fixture, "--json", "--save", "--profiles", directory])
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["schemaVersion"] as? Int == 1)
        let id = try #require(json["id"] as? String)
        let saved = try String(contentsOfFile: "\(directory)/\(id).json", encoding: .utf8)
        #expect(saved == result.stdout)
    }

    @Test("a plain probe shows the roofline saved for its profile, not \"not measured\"")
    func probeKeepsSavedRoofline() throws {
        let directory = try Self.temporaryDirectory()
        let fixture = Self.fixtures.appendingPathComponent("synthetic-2pack-4numa-64pu.xml").path
        let probed = try Self.tunebench(["probe", "--topology", fixture, "--json"])
        var profile = try #require(try JSONSerialization.jsonObject(with: Data(probed.stdout.utf8)) as? [String: Any])
        #expect(try Self.tunebench(["probe", "--topology", fixture, "--profiles", directory]).stdout.contains("Roofline: not measured"))
        // A roofline measured elsewhere, saved with this profile.
        let measured = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent("profiles/fa264a017ddc3036.json")))
            as? [String: Any])
        profile["roofline"] = measured["roofline"]
        let id = try #require(profile["id"] as? String)
        try JSONSerialization.data(withJSONObject: profile).write(to: URL(fileURLWithPath: "\(directory)/\(id).json"))
        let plain = try Self.tunebench(["probe", "--topology", fixture, "--profiles", directory])
        #expect(plain.status == 0 && plain.stdout.contains("Roofline (measured") && !plain.stdout.contains("not measured"), "\(plain.stdout)")
    }

    @Test("compare two saved profiles by id; an unreadable one fails in one line")
    func compare() throws {
        let directory = try Self.temporaryDirectory()
        var ids: [String] = []
        for name in ["synthetic-2pack-4numa-64pu.xml", "synthetic-1pack-8core-smt2.xml"] {
            let result = try Self.tunebench(["probe", "--topology", Self.fixtures.appendingPathComponent(name).path, "--json", "--save", "--profiles", directory])
            let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            ids.append(try #require(json?["id"] as? String))
        }
        let result = try Self.tunebench(["compare", ids[0], ids[1], "--profiles", directory])
        #expect(result.status == 0)
        let cores = result.stdout.split(separator: "\n").first { $0.contains("counts") && $0.contains("cores") }
        #expect(cores?.hasPrefix("*") == true)
        #expect(cores?.hasSuffix("8") == true)
        // Neither has a roofline: the empty B/A column is explained.
        #expect(result.stdout.contains("B/A compares measured rooflines; A (\(ids[0])) and B (\(ids[1])) have none"), "\(result.stdout)")
        let broken = "\(directory)/broken.json"
        try "{ not json".write(toFile: broken, atomically: true, encoding: .utf8)
        let failed = try Self.tunebench(["compare", ids[0], broken, "--profiles", directory])
        #expect(failed.status == 1)
        #expect(failed.stderr.hasPrefix("tunebench: error: cannot read profile \(broken): "))
        #expect(failed.stderr.filter { $0 == "\n" }.count == 1)
    }

    @Test("--measure with --topology is refused: a roofline is measured on this machine")
    func measureNeedsLiveMachine() throws {
        let fixture = Self.fixtures.appendingPathComponent("synthetic-1pack-8core-smt2.xml").path
        let result = try Self.tunebench(["probe", "--topology", fixture, "--measure"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--measure"))
    }

    @Test("inspect: the layers of a model as text and JSON; a broken model or an unbound dimension is one line")
    func inspect() throws {
        let model = Self.root.appendingPathComponent("Tests/Fixtures/onnx/resnet-block.onnx").path
        let text = try Self.tunebench(["inspect", "--model", model])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("3 unique layers to tune"))
        #expect(text.stdout.contains("on reference code: Add x1, Flatten x1, GlobalAveragePool x1, Relu x1"))
        let json = try Self.tunebench(["inspect", "--model", model, "--json"])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((summary["layers"] as? [[String: Any]])?.map { $0["kernel"] as? String } == ["conv2d", "conv2d", "gemv"])
        let truncated = Self.root.appendingPathComponent("Tests/Fixtures/onnx/truncated.onnx").path
        let broken = try Self.tunebench(["inspect", "--model", truncated])
        #expect(broken.status == 1 && broken.stderr == "tunebench: error: \(truncated): is not a valid ONNX model: the file is truncated (its data ends inside a field)\n")
        let mlp = Self.root.appendingPathComponent("examples/onnx/mlp.onnx").path
        let unbound = try Self.tunebench(["inspect", "--model", mlp])
        #expect(unbound.status == 1 && unbound.stderr == "tunebench: error: \(mlp): symbolic dimension batch not bound: give --dim batch=N\n")
    }
}
