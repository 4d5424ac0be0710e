import Foundation
import HardwareProbe
import Kernels
import Search
import Testing

@testable import Tuning
@testable import TuningDatabase

/// The tuner on real kernels (small shapes, short time caps), measured in this process.
@Suite("tuner", .serialized)
struct TunerTests {
    static let profile: HardwareProfile = try! HardwareProbe.probeLiveMachine()
    /// The register tiles, everything else fixed (nc=480: a multiple of every tile's NR, so the
    /// analytical tile, 4x24 or with AVX-512 8x32, is in the space).
    static let tilesOnly = "threads=1,loop=n,order=jr,pack_a=1,pack_b=2,nc=480,mc=48,kc=64"

    static func quick(_ problem: KernelProblem, strategy: String = "random", budget: Int? = 8, fixed: String = tilesOnly) -> TuneRequest {
        var request = TuneRequest(problem: problem, strategy: strategy, budgetTrials: budget, fixed: fixed, raceRounds: 3)
        request.settings.timeCap = 0.02
        request.settings.minSamples = 3
        return request
    }

    static func tuner(_ path: String) throws -> Tuner {
        Tuner(profile: profile, database: try TuningDatabase(path: path), runner: InProcessTrialRunner(topology: try HwlocTopology()))
    }

    @Test("exhaustive over a 5-point space: every configuration measured once, analytical first, winner raced and recorded")
    func exhaustive() throws {
        let path = try temporaryPath("t.sqlite")
        let tuner = try Self.tuner(path)
        let result = try tuner.tune(Self.quick(KernelProblem(layer: .gemm(m: 24, n: 40, k: 24), kernel: .gemm), strategy: "exhaustive", budget: 100))
        // The five 8-lane tiles, and on an AVX-512 CPU the four 16-lane ones.
        let tiles = GEMMKernel.microTiles.filter { 480 % $0.nr == 0 }.count
        #expect(tiles >= 5 && result.validSpaceSize == tiles)
        #expect(result.trials.count == tiles)
        #expect(Set(result.trials.map(\.config)).count == tiles)
        #expect(result.stopReason == .exhausted)
        #expect(result.trials[0].source == "analytical")
        let analytical = AnalyticalDefaults.gemm(limits: MachineSizes(profile: Self.profile).runnable, quantized: false)
        #expect(result.trials[0].config.contains("mr=\(analytical.int("mr")!),") && result.trials[0].config.contains("nr=\(analytical.int("nr")!),"))
        #expect(result.trials.allSatisfy { $0.status == .ok && ($0.gflops ?? 0) > 0 && ($0.relativeError ?? 1) < 1e-4 })
        let best = try #require(result.best)
        #expect(try tuner.database.best() == [best])
        #expect(best.layer == "gemm m=24 n=40 k=24")
        #expect((best.margin ?? 0) >= 1)
        #expect(best.runnerUpConfig != nil && best.runnerUpConfig != best.config)
        #expect(best.speedupOverDefault != nil)
        #expect(try tuner.database.runs().first { $0.id == result.runID }?.status == .finished)
        #expect(try tuner.database.trials(runID: result.runID) == result.trials)
    }

    @Test("int8 weights on a VNNI machine, bf16 ones on an AVX512_BF16 one: the dot-product kernels are measured first (AMX before VNNI or vdpbf16ps where the CPU has it), then the default, all as analytical",
          arguments: [Precision.int8, .bf16])
    func dotProductSeed(precision: Precision) throws {
        let (needed, act, variants, fixed) = precision == .bf16
            ? (KernelISA.avx512bf16, "bf16", (KernelISA.amxbf16.isAvailable ? ["amxbf16"] : []) + ["avx512bf16"], "threads=1")
            : (KernelISA.avx512vnni, "s8", (KernelISA.amxint8.isAvailable ? ["amxint8"] : []) + ["avx512vnni"], "threads=1,group=0")
        guard needed.isAvailable else {
            print("skipping the \(precision) dot-product seed: this CPU (or TUNEBENCH_MAX_ISA) lacks \(needed.requirement.joined(separator: ", "))")
            return
        }
        let tuner = try Self.tuner(try temporaryPath("t.sqlite"))
        let problem = KernelProblem(layer: .gemm(m: 24, n: 40, k: 64), precision: precision, kernel: .gemm)
        let result = try tuner.tune(Self.quick(problem, budget: variants.count + 2, fixed: fixed))
        #expect(result.trials.count == variants.count + 2)
        for (trial, isa) in zip(result.trials, variants) {
            #expect(trial.source == "analytical" && trial.config.contains("act=\(act)") && trial.config.contains("isa=\(isa)"), "\(trial.config)")
            #expect(trial.status == .ok && (trial.relativeError ?? 1) < precision.tolerance)
        }
        let fallback = result.trials[variants.count]
        #expect(fallback.source == "analytical" && fallback.config.contains("act=fp32"))
    }

    @Test("an interrupted run resumes: the strategy replays and finished trials are reused, not re-measured")
    func resume() throws {
        let path = try temporaryPath("t.sqlite")
        let tuner = try Self.tuner(path)
        let problem = KernelProblem(layer: .gemm(m: 16, n: 32, k: 32), kernel: .gemm)
        let fixed = "threads=1,loop=n,order=jr,pack_b=2,nc=480"
        func request(budget: Int) -> TuneRequest {
            var request = Self.quick(problem, budget: budget, fixed: fixed)
            request.useSeeds = false
            return request
        }
        let first = try tuner.tune(request(budget: 6))
        // Make it look interrupted after 6 trials, as a kill would leave it.
        try #require(tuner.database as? TuningDatabase).write { db in
            try db.execute(sql: "UPDATE runs SET status = 'running', finished_at = NULL")
            try db.execute(sql: "DELETE FROM best")
        }
        let second = try tuner.tune(request(budget: 12))
        #expect(second.resumed && second.runID == first.runID)
        #expect(second.reusedTrials == 6)
        #expect(Array(second.trials.prefix(6)) == first.trials)
        let stored = try tuner.database.trials(runID: first.runID)
        #expect(stored.map(\.seq) == Array(0..<12))
        #expect(Set(stored.map(\.config)).count == 12)
        // A fresh run with the same seed proposes the same sequence: the replay is exact.
        var fresh = request(budget: 12)
        fresh.resume = false
        let third = try tuner.tune(fresh)
        #expect(third.runID != first.runID && third.reusedTrials == 0)
        #expect(third.trials.map(\.config) == stored.map(\.config))
    }

    @Test("an unfinished run of another host is not resumed unless asked (it may be alive)")
    func resumeOtherHost() throws {
        let path = try temporaryPath("t.sqlite")
        let tuner = try Self.tuner(path)
        let database = try #require(tuner.database as? TuningDatabase)
        var request = Self.quick(KernelProblem(layer: .gemm(m: 16, n: 24, k: 32), kernel: .gemm), budget: 3, fixed: "threads=1,loop=n,order=jr,pack_b=2,nc=480")
        request.useSeeds = false
        let first = try tuner.tune(request)
        try database.write { db in
            try db.execute(sql: "UPDATE runs SET status = 'running', finished_at = NULL, host = 'elsewhere'")
        }
        let second = try tuner.tune(request)
        #expect(!second.resumed && second.runID != first.runID)
        request.resumeOtherHosts = true
        let third = try tuner.tune(request)
        #expect(third.resumed && third.runID == first.runID && third.reusedTrials == 3)
    }

    @Test("transfer: a nearby shape's best configuration seeds the next search")
    func transfer() throws {
        let tuner = try Self.tuner(try temporaryPath("t.sqlite"))
        let fixed = "threads=1,loop=n,pack_b=2,nc=480,mc=48"
        let first = try tuner.tune(Self.quick(KernelProblem(layer: .gemm(m: 24, n: 48, k: 48), kernel: .gemm), budget: 8, fixed: fixed))
        let winner = try #require(first.best?.config)
        let second = try tuner.tune(Self.quick(KernelProblem(layer: .gemm(m: 24, n: 48, k: 64), kernel: .gemm), budget: 3, fixed: fixed))
        let seeded = second.trials.filter { $0.source.hasPrefix("transfer:") }
        if winner == second.trials[0].config {
            #expect(seeded.isEmpty) // the analytical seed was already the winner
        } else {
            #expect(seeded.first?.config == winner)
            #expect(seeded.first?.source == "transfer:\(Self.profile.id):gemm m=24 n=48 k=48")
        }
    }

    @Test("budgets and early stops: trials, time, patience")
    func stopping() throws {
        let tuner = try Self.tuner(try temporaryPath("t.sqlite"))
        let problem = KernelProblem(layer: .gemm(m: 16, n: 16, k: 16), kernel: .gemm)
        let fixed = "threads=1,pack_b=2"
        var timed = Self.quick(problem, budget: nil, fixed: fixed)
        timed.budgetSeconds = 0.4
        let begin = Date()
        let byTime = try tuner.tune(timed)
        #expect(byTime.stopReason == .time)
        #expect(Date().timeIntervalSince(begin) >= 0.4)
        #expect(byTime.trials.count > 1)
        var patient = Self.quick(problem, budget: 300, fixed: fixed)
        patient.patience = 3
        patient.seed = 2
        let byPatience = try tuner.tune(patient)
        #expect(byPatience.stopReason == .patience)
        #expect(byPatience.trials.count < 300)
        var near = Self.quick(problem, budget: 50, fixed: fixed)
        near.stopAtRooflineFraction = 1e-6
        near.seed = 3
        if Self.profile.roofline != nil {
            let byRoofline = try tuner.tune(near)
            #expect(byRoofline.stopReason == .roofline && byRoofline.trials.count == 1)
        }
    }

    @Test("fixed parameters must exist and take one of their values")
    func badFixed() throws {
        let tuner = try Self.tuner(try temporaryPath("t.sqlite"))
        let problem = KernelProblem(layer: .gemm(m: 16, n: 16, k: 16), kernel: .gemm)
        #expect(throws: SearchError.self) { try tuner.tune(Self.quick(problem, fixed: "colour=blue")) }
        let error = #expect(throws: SearchError.self) { try tuner.tune(Self.quick(problem, fixed: "threads=64")) }
        #expect(error?.message.contains("threads takes 1") == true)
        #expect(throws: SearchError.self) { try tuner.tune(Self.quick(problem, strategy: "psychic")) }
    }
}

func temporaryPath(_ name: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-tune-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(name).path
}

@Suite("verify")
struct VerifierTests {
    @Test("recorded bests re-measured: a record faster than possible is flagged, a slow one passes, a broken one fails")
    func verify() throws {
        let profile = TunerTests.profile
        let database = try TuningDatabase(path: try temporaryPath("v.sqlite"))
        let limits = MachineSizes(profile: profile)
        func best(_ layer: String, kernel: String, config: KernelConfig, seconds: Double, speedup: Double?) -> BestRecord {
            BestRecord(profileId: profile.id, layer: layer, kernelLibraryVersion: KernelLibrary.version, kernel: kernel, config: "\(config)",
                       medianSeconds: seconds, gflops: 1, rooflineFraction: nil, margin: nil, runnerUpConfig: nil,
                       defaultConfig: "\(config)", speedupOverDefault: speedup, runId: "r", updatedAt: "2026-11-29T00:00:00Z")
        }
        let gemm = try GEMMKernel(m: 24, n: 32, k: 32, epilogue: Epilogue(bias: true), limits: limits).defaultConfig
        let gemv = try GEMVKernel(m: 2, n: 64, k: 64, precision: .int8, limits: limits).defaultConfig
        try database.record(best: best("gemm m=24 n=32 k=32 bias", kernel: "gemm", config: gemm, seconds: 1e-12, speedup: nil))
        // A configuration raced against itself: about 1x, recorded well below that so that the
        // race's noise on a tiny layer does not flag it (CI runs measured under 1/1.15, and once
        // under 0.8/1.15 with the machine loaded).
        try database.record(best: best("gemm m=2 n=64 k=64 int8", kernel: "gemv", config: gemv, seconds: 10, speedup: 0.4))
        // Racing a configuration against itself: its speed-up over the "default" is about 1, not 3.
        try database.record(best: best("gemm m=24 n=32 k=64", kernel: "gemm", config: gemm, seconds: 10, speedup: 3))
        var broken = gemm
        broken.values["mr"] = 5
        try database.record(best: best("gemm m=8 n=32 k=32", kernel: "gemm", config: broken, seconds: 10, speedup: nil))
        var settings = TrialSettings()
        settings.timeCap = 0.02
        let verifier = Verifier(profile: profile, database: database, runner: InProcessTrialRunner(topology: try HwlocTopology()))
        let checks = try verifier.run(margin: 0.15, rounds: 3, settings: settings)
        let status = Dictionary(uniqueKeysWithValues: checks.map { ($0.best.layer, $0.status) })
        #expect(status == ["gemm m=24 n=32 k=32 bias": .slower, "gemm m=2 n=64 k=64 int8": .ok, "gemm m=24 n=32 k=64": .slower, "gemm m=8 n=32 k=32": .failed])
        let fast = try #require(checks.first { $0.best.layer == "gemm m=24 n=32 k=32 bias" })
        #expect(fast.message.contains("slower than recorded") && (fast.slowdown ?? 0) > 1000)
        #expect(try #require(checks.first { $0.best.layer == "gemm m=24 n=32 k=64" }).message.contains("speed-up over the default"))
        #expect(try verifier.run(layerContaining: "m=2 ", settings: settings).map(\.best.layer) == ["gemm m=2 n=64 k=64 int8"])
    }
}
