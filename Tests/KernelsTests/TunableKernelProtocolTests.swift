import Kernels
import Testing

/// A user's own kernel, plugged in through the public protocol: y = x + 1 over n floats, with a
/// parameter that chooses a (deliberately) wrong variant.
struct IncrementKernel: TunableKernel {
    let n: Int
    var name: String { "increment" }
    var space: ParameterSpace {
        ParameterSpace(kernel: "increment", parameters: [.init("variant", ["right", "wrong"]), .init("unroll", [1, 2, 4])],
                       constraints: [.init("n % unroll == 0") { n % ($0.int("unroll") ?? 1) == 0 }])
    }
    var defaultConfig: KernelConfig { KernelConfig(kernel: "increment", values: ["variant": "right", "unroll": 1]) }
    var flops: Double { Double(n) }
    func minimumBytes(_ config: KernelConfig) -> Double { 8 * Double(n) }
    func instantiate(_ config: KernelConfig, team: ParallelTeam) throws -> any KernelInstance {
        try space.validate(config)
        return Instance(n: n, wrong: config.text("variant") == "wrong")
    }

    final class Instance: KernelInstance {
        let x: FloatBuffer
        let y: FloatBuffer
        let wrong: Bool
        init(n: Int, wrong: Bool) {
            x = FloatBuffer(random: n, seed: 4)
            y = FloatBuffer(count: n)
            self.wrong = wrong
        }
        func run() { for i in 0..<x.count { y.pointer[i] = x.pointer[i] + (wrong ? 1.5 : 1) } }
        func validate() -> Validation {
            var errors = ErrorAccumulator()
            for i in 0..<x.count { errors.add(output: y.pointer[i], reference: Double(x.pointer[i]) + 1) }
            return errors.validation(tolerance: 1e-6)
        }
    }
}

@Suite("user kernels through TunableKernel")
struct TunableKernelProtocolTests {
    @Test("a plugged-in kernel validates, and its wrong variant fails validation")
    func pluggedIn() throws {
        let kernel = IncrementKernel(n: 100)
        let team = ParallelTeam(size: 1)
        let right = try kernel.instantiate(kernel.defaultConfig, team: team)
        right.run()
        #expect(right.validate().passed)
        let wrong = try kernel.instantiate(try kernel.defaultConfig.applying(overrides: "variant=wrong"), team: team)
        wrong.run()
        #expect(!wrong.validate().passed)
        #expect(kernel.space.violations(try kernel.defaultConfig.applying(overrides: "unroll=3")).count == 1)
        #expect(kernel.space.cardinality == 6)
    }

    @Test("team chunks cover the range exactly, in granules")
    func chunks() {
        for count in [0, 1, 7, 64, 1000] {
            for parts in [1, 2, 3, 8] {
                let ranges = (0..<parts).map { ParallelTeam.chunk($0, of: parts, count: count, granule: 16) }
                #expect(ranges.map(\.count).reduce(0, +) == count)
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                #expect(ranges.dropLast().allSatisfy { $0.lowerBound % 16 == 0 })
            }
        }
    }

    @Test("a team runs every index once, concurrently")
    func teamRuns() {
        let team = ParallelTeam(size: 4)
        let seen = FloatBuffer(count: 4)
        for _ in 0..<50 { team.run { index in seen.pointer[index] += 1 } }
        #expect((0..<4).allSatisfy { seen.pointer[$0] == 50 })
    }
}
