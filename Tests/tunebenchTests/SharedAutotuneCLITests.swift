import Foundation
import Testing

/// `autotune --share` against the real PostgreSQL server scripts/test starts: four tuner
/// processes split one workload, one is killed in the middle of a layer, the others take its
/// layer over when its lease expires, and every layer ends up tuned exactly once.
@Suite("shared autotune over PostgreSQL", .serialized)
struct SharedAutotuneCLITests {
    static var url: String { ProcessInfo.processInfo.environment["TUNEBENCH_TEST_POSTGRES"] ?? "" }

    /// Eight small fp32 layers of shapes no other test tunes (a random offset keeps a rerun on
    /// the same server from finding them tuned).
    static func workload(in folder: String) throws -> String {
        let offset = 8 * Int.random(in: 0..<1000)
        let layers = (0..<8).map { index in "{ \"op\": \"gemm\", \"m\": 8, \"n\": \(24 + offset + 8 * index), \"k\": 20 }" }
        let path = folder + "/shared-layers.json"
        try Data("{ \"name\": \"shared test\", \"layers\": [\(layers.joined(separator: ", "))] }".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A tuner process writing its stdout and stderr to files in `folder`.
    static func startTuner(_ name: String, share: String, workload: String, folder: String, seconds: Int) throws -> Process {
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["autotune", "--layers", workload, "--precision", "fp32", "--time", "\(seconds)s", "--threads", "1",
                             "--db", url, "--share", share, "--lease", "5s", "--time-cap", "0.02", "--json", "\(folder)/\(name).json"]
        _ = FileManager.default.createFile(atPath: "\(folder)/\(name).out", contents: nil)
        _ = FileManager.default.createFile(atPath: "\(folder)/\(name).err", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(folder)/\(name).out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(folder)/\(name).err"))
        try process.run()
        return process
    }

    static func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test("four tuners share a workload; one killed mid-layer; its layer is taken over and nothing is lost or done twice",
          .enabled(if: ProcessInfo.processInfo.environment["TUNEBENCH_TEST_POSTGRES"] != nil, "needs the server scripts/test starts"))
    func fourTunersOneKilled() throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLITests.binary.path), "build first: swift build")
        let folder = try CLITests.temporaryDirectory()
        let workload = try Self.workload(in: folder)
        let share = "kill-test-\(UUID().uuidString.prefix(8))"
        var tuners = try (0..<4).map { try Self.startTuner("tuner\($0)", share: share, workload: workload, folder: folder, seconds: 24) }

        // The victim: tuner 0, once it is measuring trials of a layer it claimed.
        let victimErr = "\(folder)/tuner0.err"
        var victimLayer: String?
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, tuners[0].isRunning {
            let lines = Self.text(victimErr).split(separator: "\n")
            if let claimed = lines.lastIndex(where: { $0.hasPrefix("claimed ") }),
               lines[(claimed + 1)...].filter({ $0.hasPrefix("    [") }).count >= 2 {
                victimLayer = String(lines[claimed].dropFirst("claimed ".count))
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(tuners[0].processIdentifier, SIGKILL)
        tuners[0].waitUntilExit()
        let layer = try #require(victimLayer, "tuner 0 never measured a claimed layer: \(Self.text(victimErr))")
        let victim = try #require(Self.text(victimErr).firstMatch(of: /sharing as (\S+) under/)?.1).description

        for tuner in tuners.dropFirst() { tuner.waitUntilExit() }
        for index in 1..<4 {
            #expect(tuners[index].terminationStatus == 0, "tuner \(index): \(Self.text("\(folder)/tuner\(index).err"))")
        }
        tuners.removeAll()

        // The queue: every layer done; the victim's layer taken over once, by a survivor.
        let work = try CLITests.tunebench(["db", "work", "--db", Self.url, "--queue", share, "--json"])
        #expect(work.status == 0, "\(work.stderr)")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(work.stdout.utf8)) as? [[String: Any]])
        #expect(items.count == 8)
        #expect(items.allSatisfy { $0["status"] as? String == "done" }, "\(items)")
        let takenOver = try #require(items.first { $0["item"] as? String == layer })
        #expect(takenOver["attempts"] as? Int == 2)
        #expect(takenOver["claimedBy"] as? String != victim)
        #expect(items.filter { $0["item"] as? String != layer }.allSatisfy { $0["attempts"] as? Int == 1 })
        let survivorsErr = (1..<4).map { Self.text("\(folder)/tuner\($0).err") }.joined(separator: "\n")
        #expect(survivorsErr.contains("claimed \(layer) (attempt 2, taken over from \(victim))"), "\(survivorsErr)")

        // The database: one run per layer, all finished (the take-over continued the victim's
        // run: its trials are kept, none measured twice), trial numbers without gaps, one best each.
        let dump = try TuneCLITests.export(Self.url)
        let layers = Set(items.compactMap { $0["item"] as? String })
        let runs = try #require(dump["runs"] as? [[String: Any]]).filter { layers.contains($0["layer"] as? String ?? "") }
        #expect(runs.count == 8, "\(runs.map { $0["layer"] ?? "" })")
        #expect(Set(runs.compactMap { $0["layer"] as? String }).count == 8)
        #expect(runs.allSatisfy { $0["status"] as? String == "finished" })
        let runIDs = Set(runs.compactMap { $0["id"] as? String })
        let trials = try #require(dump["trials"] as? [[String: Any]]).filter { runIDs.contains($0["runId"] as? String ?? "") }
        for id in runIDs {
            let seqs = trials.filter { $0["runId"] as? String == id }.compactMap { $0["seq"] as? Int }.sorted()
            #expect(!seqs.isEmpty && seqs == Array(0..<seqs.count), "run \(id): \(seqs)")
            let configs = trials.filter { $0["runId"] as? String == id }.compactMap { $0["config"] as? String }
            #expect(Set(configs).count == configs.count, "run \(id) measured a configuration twice")
        }
        let best = try #require(dump["best"] as? [[String: Any]]).filter { runIDs.contains($0["runId"] as? String ?? "") }
        #expect(best.count == 8)

        // Each survivor reports all eight layers; together they tuned what the victim did not finish.
        var tunedHere: [String] = []
        for index in 1..<4 {
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/tuner\(index).json"))) as? [String: Any])
            let layers = try #require(summary["layers"] as? [[String: Any]])
            #expect(layers.count == 8 && layers.allSatisfy { $0["config"] is String })
            tunedHere += layers.filter { $0["tunedHere"] as? Bool == true }.compactMap { $0["layer"] as? String }
        }
        let victimDone = Self.text(victimErr).split(separator: "\n").filter { $0.hasPrefix("claimed ") }.count - 1
        #expect(Set(tunedHere).count == tunedHere.count, "a layer tuned by two survivors: \(tunedHere)")
        #expect(tunedHere.count == 8 - victimDone && tunedHere.contains(layer))
    }

    @Test("--share needs a PostgreSQL database; db work too")
    func shareNeedsPostgres() throws {
        let folder = try CLITests.temporaryDirectory()
        let result = try CLITests.tunebench(["autotune", "--layers", try Self.workload(in: folder), "--db", folder + "/t.sqlite", "--share", "x"])
        #expect(result.status != 0 && result.stderr.contains("--share splits the work through a PostgreSQL database"), "\(result.stderr)")
        let work = try CLITests.tunebench(["db", "work", "--db", folder + "/t.sqlite"])
        #expect(work.status != 0 && work.stderr.contains("shared work lives in a PostgreSQL database"), "\(work.stderr)")
    }
}
