import Foundation
import Testing

/// The PostgreSQL server crashes under two tuners sharing a workload: a server of the test's
/// own (scripts/postgres-test-server, so the other tests' server stays up) is killed
/// (`pg_ctl stop -m immediate`) while both measure, and started again 10 s later. The tuner
/// allowed to wait for it reconnects and finishes; the one whose reconnect window is shorter
/// stops with an error and a non-zero status; its rerun finishes the work. Nothing is lost,
/// nothing measured twice.
@Suite("PostgreSQL faults", .serialized)
struct PostgresFaultTests {
    static let script = CLITests.root.appendingPathComponent("scripts/postgres-test-server").path

    /// Runs the test-server script; its stdout. (posix_spawn and waitpid: Foundation's Process
    /// never saw this script exit once it had started the server through runuser.)
    @discardableResult
    static func server(_ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("pg-script-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([script] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        try #require(posix_spawn(&pid, script, &actions, nil, argv, environ) == 0, "cannot start \(script)")
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        try #require(status == 0, "scripts/postgres-test-server \(arguments.joined(separator: " ")) failed (wait status \(status))")
        return ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func tuner(_ name: String, location: String, password: String, share: String, workload: String, folder: String) throws -> Process {
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["autotune", "--layers", workload, "--precision", "fp32", "--time", "40s", "--threads", "1",
                             "--db", location, "--share", share, "--lease", "5s", "--time-cap", "0.02", "--json", "\(folder)/\(name).json"]
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = password
        process.environment = environment
        _ = FileManager.default.createFile(atPath: "\(folder)/\(name).err", contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(folder)/\(name).err"))
        try process.run()
        return process
    }

    static func measured(_ err: String) -> Int {
        SharedAutotuneCLITests.text(err).split(separator: "\n").filter { $0.hasPrefix("    [") }.count
    }

    @Test("the server killed and restarted under two sharing tuners: one reconnects, one stops with an error; after a rerun nothing is lost or doubled",
          .enabled(if: ProcessInfo.processInfo.environment["TUNEBENCH_TEST_POSTGRES"] != nil, "needs PostgreSQL (scripts/test)"))
    func serverRestart() throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLITests.binary.path), "build first: swift build")
        let folder = try CLITests.temporaryDirectory()
        let serverDir = try makeServerDirectory()
        let port = 55600 + Int.random(in: 0..<300)
        let base = try Self.server(["start", serverDir, "\(port)"])
        defer { _ = try? Self.server(["stop", serverDir]) }
        let password = try String(contentsOfFile: serverDir + "/password", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let workload = try SharedAutotuneCLITests.workload(in: folder)
        let share = "fault-test"
        let patient = try Self.tuner("patient", location: base + "?statement_timeout=4&reconnect_timeout=60", password: password, share: share,
                                     workload: workload, folder: folder)
        let hasty = try Self.tuner("hasty", location: base + "?statement_timeout=4&reconnect_timeout=3", password: password, share: share,
                                   workload: workload, folder: folder)
        defer { for process in [patient, hasty] where process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // Kill the server once both have measured trials, start it again 10 s later.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, Self.measured("\(folder)/patient.err") < 3 || Self.measured("\(folder)/hasty.err") < 3 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        try Self.server(["halt", serverDir])
        let killedAt = Date()
        Thread.sleep(forTimeInterval: 10)
        try Self.server(["resume", serverDir])

        hasty.waitUntilExit()
        patient.waitUntilExit()
        let patientErr = SharedAutotuneCLITests.text("\(folder)/patient.err")
        let hastyErr = SharedAutotuneCLITests.text("\(folder)/hasty.err")
        #expect(patient.terminationStatus == 0, "\(patientErr)")
        #expect(patientErr.contains("tunebench: lost the connection to " + base) && patientErr.contains("tunebench: reconnected to " + base), "\(patientErr)")
        #expect(hasty.terminationStatus != 0, "\(hastyErr)")
        #expect(hastyErr.contains("lost the connection and could not reconnect within 3 s"), "\(hastyErr)")
        #expect(Date().timeIntervalSince(killedAt) < 120)

        // The rerun of the one that gave up: the shared queue is done (the patient tuner took
        // its layer over), so it tunes nothing again.
        let rerun = try Self.tuner("rerun", location: base, password: password, share: share, workload: workload, folder: folder)
        rerun.waitUntilExit()
        #expect(rerun.terminationStatus == 0, "\(SharedAutotuneCLITests.text("\(folder)/rerun.err"))")

        let dump = try CLITests.tunebench(["db", "export", "--db", base], environment: ["PGPASSWORD": password])
        try #require(dump.status == 0, "\(dump.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        let runs = try #require(rows["runs"] as? [[String: Any]])
        #expect(Set(runs.compactMap { $0["layer"] as? String }).count == 8 && runs.count == 8, "\(runs)")
        #expect(runs.allSatisfy { $0["status"] as? String == "finished" })
        let trials = try #require(rows["trials"] as? [[String: Any]])
        for id in runs.compactMap({ $0["id"] as? String }) {
            let mine = trials.filter { $0["runId"] as? String == id }
            let seqs = mine.compactMap { $0["seq"] as? Int }.sorted()
            #expect(!seqs.isEmpty && seqs == Array(0..<seqs.count), "run \(id): \(seqs)")
            let configs = mine.compactMap { $0["config"] as? String }
            #expect(Set(configs).count == configs.count, "run \(id) measured a configuration twice")
        }
        #expect((rows["best"] as? [[String: Any]])?.count == 8)
    }

    /// A folder the postgres user can enter (scripts/postgres-test-server needs one).
    func makeServerDirectory() throws -> String {
        var template = Array("/tmp/tunebench-pg.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil, "mkdtemp failed")
        return String(cString: template)
    }
}
