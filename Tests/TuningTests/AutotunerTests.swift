import Foundation
import HardwareProbe
import Kernels
import Testing
@testable import Tuning
import TuningDatabase
import Workloads

@Suite("autotune", .serialized)
struct AutotunerTests {
    static let workload = Workload(name: "tiny", source: "test", instances: [
        .init(name: "decode", layer: .gemm(m: 2, n: 64, k: 64), count: 3),
        .init(name: "prefill", layer: .gemm(m: 24, n: 40, k: 24, epilogue: Epilogue(bias: true, activation: .relu))),
        .init(name: "decode again", layer: .gemm(m: 2, n: 64, k: 64)),
    ])

    @Test("each unique layer tuned once per precision; int4 rejected by the error limit; totals weighted by multiplicity; a rerun reuses")
    func autotune() throws {
        let path = try temporaryPath("a.sqlite")
        let tuner = Tuner(profile: TunerTests.profile, database: try TuningDatabase(path: path),
                          runner: InProcessTrialRunner(topology: try HwlocTopology()))
        var request = Autotuner.Request(workload: Self.workload, precisions: [.int8, .int4], maxError: 0.01, totalSeconds: 1.5)
        request.settings.timeCap = 0.02
        let result = try Autotuner(tuner: tuner).run(request)
        #expect(result.layers.map(\.layer.description) == ["gemm m=2 n=64 k=64", "gemm m=24 n=40 k=24 bias relu"])
        #expect(result.layers.map(\.multiplicity) == [4, 1])
        #expect(result.layers.map(\.kernel) == ["gemv", "gemm"])
        for layer in result.layers {
            #expect(layer.candidates.map(\.precision) == [.fp32, .int8, .int4])
            let int4 = try #require(layer.candidates.last)
            #expect(int4.rejection?.contains("above the limit") == true, "int4 error \(int4.relativeError ?? -1)")
            let winner = try #require(layer.winner)
            #expect(winner.precision != .int4)
            #expect((winner.relativeError ?? 1) <= 0.01)
            // The winner is the fastest eligible candidate.
            let eligible = layer.candidates.filter { $0.rejection == nil }.compactMap(\.best?.medianSeconds)
            #expect(winner.best?.medianSeconds == eligible.min())
            #expect(layer.defaultSeconds != nil)
        }
        let tuned = try #require(result.tunedSeconds)
        #expect(abs(tuned - result.layers.reduce(0) { $0 + ($1.tunedSeconds ?? 0) * Double($1.multiplicity) }) < 1e-15)
        let runs = try tuner.database.runs().count
        #expect(runs == 6)
        let again = try Autotuner(tuner: tuner).run(request)
        #expect(try tuner.database.runs().count == runs)
        #expect(again.layers.allSatisfy { $0.candidates.allSatisfy(\.reused) })
        #expect(again.tunedSeconds == result.tunedSeconds)
        #expect(AutotuneReportText.render(again, maxError: 0.01).contains("forward pass over the imported layers"))
    }
}
