import Foundation
import HardwareProbe
import Kernels
import Search
import Testing
import TunebenchRuntime

@testable import Tuning
import TuningDatabase

@Suite("recorded spaces, T4 and simulation")
struct RecordedSpaceTests {
    /// 4 x 5 points with a known optimum at (a=3, b=2); two recorded as failed.
    static func synthetic() -> RecordedSpace {
        var entries: [RecordedSpace.Entry] = []
        for a in 0..<4 {
            for b in 0..<5 {
                let config = KernelConfig(kernel: "toy", values: ["a": .int(a), "b": .int(b)])
                let failed = (a, b) == (0, 4) || (a, b) == (1, 0)
                let score = 100 - Double((a - 3) * (a - 3) * 5 + (b - 2) * (b - 2) * 3)
                entries.append(.init(config: config.description, status: failed ? "crashed" : "ok", gflops: failed ? nil : score))
            }
        }
        return RecordedSpace(layer: "toy", kernel: "toy", profileId: "p", fixed: "",
                             parameters: [.init(name: "a", values: [0, 1, 2, 3]), .init(name: "b", values: [0, 1, 2, 3, 4])],
                             analytical: "toy a=2,b=2", entries: entries)
    }

    @Test("exhaustive replay reaches the optimum by the last point; the analytical fraction is exact")
    func simulation() throws {
        let simulation = try StrategySimulation(space: Self.synthetic(), strategies: ["exhaustive", "random", "annealing"], budget: 20,
                                                repeats: 5, seeded: true)
        #expect(simulation.optimum == 100)
        #expect(simulation.optimumConfig == "toy a=3,b=2")
        #expect(simulation.analyticalFraction == 0.95)
        let exhaustive = try #require(simulation.rows.first)
        #expect(exhaustive.curve.median[0] == 0.95) // the analytical seed first
        #expect(exhaustive.curve.median.last == 1)
        #expect(simulation.rows.allSatisfy { $0.curve.median.last == 1 }) // 20 trials cover the 20 points
        #expect(simulation.render().contains("analytical configuration alone: 95.0% of the optimum"))
    }

    @Test("a recorded space round-trips through its file; unknown strategies are refused")
    func fileRoundTrip() throws {
        let path = try temporaryPath("space.json")
        try Self.synthetic().encoded().write(to: URL(fileURLWithPath: path))
        let loaded = try RecordedSpace.load(path: path)
        #expect(try loaded.encoded() == Self.synthetic().encoded())
        #expect(loaded.searchSpace.allValid().count == 20)
        #expect(loaded.scores.count == 18)
        #expect(throws: SearchError.self) { try StrategySimulation(space: loaded, strategies: ["psychic"], budget: 5, repeats: 1, seeded: false) }
        try Data("{\"format\": 3}".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: SearchError.self) { try RecordedSpace.load(path: path) }
        #expect(error?.message.contains(path) == true)
    }

    @Test("recordings of one space average per configuration; a failure in any pass is a failure")
    func averaging() throws {
        let first = Self.synthetic()
        var second = Self.synthetic()
        second.entries = second.entries.map { entry in
            var entry = entry
            entry.gflops = entry.gflops.map { $0 + 10 }
            if entry.config == "toy a=3,b=3" { (entry.status, entry.gflops) = ("timed_out", nil) }
            return entry
        }
        let averaged = try RecordedSpace.averaging([first, second])
        #expect(averaged.passes == 2)
        #expect(averaged.scores[KernelConfig(kernel: "toy", values: ["a": 3, "b": 2])] == 105)
        #expect(averaged.entries.first { $0.config == "toy a=3,b=3" }?.status == "timed_out")
        #expect(averaged.scores.count == 17)
        var other = Self.synthetic()
        other.layer = "another layer"
        #expect(throws: SearchError.self) { try RecordedSpace.averaging([first, other]) }
    }

    @Test("trials written as T4 read back as a space scored by 1/time, failures kept as failures")
    func t4() throws {
        var trials: [TrialRecord] = []
        for (seq, median) in [(0, 2e-3), (1, 1e-3), (2, nil)] as [(Int, Double?)] {
            var trial = TrialRecord(runId: "r", seq: seq, config: "gemm kc=\(64 << seq),loop=n", source: "random",
                                    status: median == nil ? .timedOut : .ok, measuredAt: "2026-11-29T04:00:00.000Z", wallSeconds: 0.5)
            trial.medianSeconds = median
            trial.gflops = median.map { 1e-3 / $0 }
            trials.append(trial)
        }
        let path = try temporaryPath("run.t4.json")
        try T4Results(trials: trials).encoded().write(to: URL(fileURLWithPath: path))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(json["schema_version"] as? String == "1.0.0")
        let results = try #require(json["results"] as? [[String: Any]])
        #expect(results.map { $0["invalidity"] as? String } == ["correct", "correct", "timeout"])
        #expect((results[0]["configuration"] as? [String: Any])?["kc"] as? Int == 64)
        #expect((results[0]["configuration"] as? [String: Any])?["loop"] as? String == "n")
        let space = try RecordedSpace.load(path: path)
        #expect(space.entries.count == 3)
        #expect(space.scores[KernelConfig(kernel: "t4", values: ["kc": 128, "loop": "n"])] == 1)
        #expect(space.scores[KernelConfig(kernel: "t4", values: ["kc": 64, "loop": "n"])] == 0.5)
        #expect(space.entries[2].status == "timeout" && space.entries[2].gflops == nil)
    }
}

@Suite("similarity for transfer")
struct SimilarityTests {
    @Test("shapes: log distance of dimensions plus a step per differing word")
    func shapes() throws {
        func distance(_ a: String, _ b: String) throws -> Double { Layer.distance(try Layer.parse(key: a), try Layer.parse(key: b)) }
        #expect(try distance("gemm m=32 n=4096 k=4096", "gemm m=32 n=4096 k=4096") == 0)
        #expect(try distance("gemm m=32 n=4096 k=4096", "gemm m=64 n=4096 k=4096") == 1)
        #expect(try distance("gemm m=32 n=4096 k=4096", "gemm m=32 n=4096 k=4096 bias relu") == 1)
        #expect(try distance("gemm m=1 n=1024 k=1024", "gemm m=4 n=4096 k=1024") == 4)
    }

    @Test("profiles: 0 for itself, cache sizes on a log scale, a different ISA class far away")
    func profiles() throws {
        let here = try HardwareProbe.probeLiveMachine()
        #expect(ProfileSimilarity.distance(here, here) == 0)
        var bigger = here
        bigger.id = "other"
        bigger.topology.caches = here.topology.caches.map { cache in
            var cache = cache
            if cache.level == 2 { cache.sizeBytes *= 2 }
            return cache
        }
        let hasL2 = here.topology.caches.contains { $0.level == 2 }
        #expect(abs(ProfileSimilarity.distance(here, bigger) - (hasL2 ? 1.01 : 0.01)) < 1e-9)
        var otherISA = bigger
        otherISA.cpu.isa = here.cpu.isa.contains("neon") ? ["avx2"] : ["neon"]
        #expect(ProfileSimilarity.distance(here, otherISA) >= 8)
    }
}
