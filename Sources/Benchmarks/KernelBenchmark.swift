import Counters
import Foundation
import HardwareProbe
import Kernels
import Measurement
import Peers

/// `tunebench bench`: measures one configuration of one kernel on this machine, places it on
/// the profile's roofline and, for fp32 GEMMs, races it against OpenBLAS in the same run.
public struct KernelBenchmark {
    public struct Request: Sendable {
        public var problem: KernelProblem
        /// "k=v,k=v" applied over the kernel's default configuration.
        public var overrides: String
        public var threads: Int?
        public var counters: [String]
        public var vsOpenBLAS: Bool
        public var options: MeasurementOptions
        /// Rounds of the interleaved comparisons.
        public var rounds: Int
        /// Other weight precisions to race against `precision`, interleaved: each with the same
        /// configuration plus its own overrides ("k=v,k=v", may be empty), so each can run at its
        /// best settings.
        public var comparePrecisions: [(precision: Precision, overrides: String)] = []
        /// Also measure what the harness adds over a bare loop of the same instance.
        public var checkHarness = false
        /// The peer's weights in `WeightMemory` (huge pages) as tunebench's own are, not in an
        /// ordinary buffer as a caller's would be.
        public var peerHugePages = false

        public init(problem: KernelProblem, overrides: String = "", threads: Int? = nil, counters: [String] = [], vsOpenBLAS: Bool = false,
                    options: MeasurementOptions = .init(), rounds: Int = 15) {
            self.problem = problem
            self.overrides = overrides
            self.threads = threads
            self.counters = counters
            self.vsOpenBLAS = vsOpenBLAS
            self.options = options
            self.rounds = rounds
        }
    }

    public struct Report: Sendable {
        public var problem: KernelProblem
        public var config: KernelConfig
        public var profileID: String
        public var measurement: KernelMeasurement
        public var gflops: Double
        /// The roofline bound for this kernel at this thread count (nil: roofline not measured).
        public var boundGFLOPS: Double?
        public var boundKind: String?
        public var peer: PeerComparison?
        /// Speed of each precision relative to the requested one, from interleaved rounds.
        public var precisions: [PrecisionComparison] = []
        public var harness: HarnessCheck.Overhead?
    }

    public struct PrecisionComparison: Sendable {
        public var precision: Precision
        public var config: KernelConfig
        public var gflops: Double
        /// Throughput relative to the first (requested) precision, median over rounds.
        public var speedup: Double
        public var speedupLow: Double
        public var speedupHigh: Double
        public var validation: Validation
    }

    public struct PeerComparison: Sendable {
        public var name: String
        public var oursGFLOPS: Double
        public var peerGFLOPS: Double
        /// Throughput ratio ours / peer, median over rounds, with its 95% interval.
        public var speedup: Double
        public var speedupLow: Double
        public var speedupHigh: Double
        public var rounds: Int
    }

    public let profile: HardwareProfile
    public let topology: HwlocTopology

    public init(profile: HardwareProfile, topology: HwlocTopology) {
        self.profile = profile
        self.topology = topology
    }

    public func run(_ request: Request, progress: (String) -> Void = { _ in }) throws -> Report {
        let limits = MachineSizes(profile: profile)
        let kernel = try KernelCatalog.kernel(for: request.problem, limits: limits)
        // Refuse an impossible comparison before spending time on the measurement.
        if request.vsOpenBLAS { _ = try gemmDimensions(kernel) }
        var config = try kernel.defaultConfig.applying(overrides: request.overrides)
        if let threads = request.threads { config.values["threads"] = .int(threads) }
        let threads = config.int("threads") ?? 1
        // Checked before the team is made: threads=0 made a team of no threads (the process
        // aborted, or grew without bound), and a huge count would start that many threads.
        if let problem = kernel.space.violations(config).first(where: { $0.hasPrefix("threads=") }) {
            throw KernelError.invalidConfig(problem + " (this machine's cores)")
        }
        let team = PinnedTeam.make(size: threads, topology: topology)
        progress("preparing \(request.problem.key) with \(config)")
        let instance = try kernel.instantiate(config, team: team)
        var options = request.options
        options.counters = request.counters
        progress("validating and measuring")
        let measurement = try KernelMeasurer(options: options, team: team).measure(instance)
        let gflops = kernel.flops / measurement.statistics.median / 1e9
        let bound = RooflineBound(profile: profile, kernel: kernel, config: config)
        var peer: PeerComparison?
        if request.vsOpenBLAS {
            progress("racing OpenBLAS, \(request.rounds) interleaved rounds")
            peer = try raceOpenBLAS(kernel: kernel, instance: instance, measurement: measurement, threads: threads,
                                    rounds: request.rounds, hugePages: request.peerHugePages, team: team)
        }
        var report = Report(problem: request.problem, config: config, profileID: profile.id, measurement: measurement,
                            gflops: gflops, boundGFLOPS: bound?.gflops, boundKind: bound?.description, peer: peer)
        if request.checkHarness {
            progress("checking the harness against a bare loop")
            report.harness = try HarnessCheck().overhead(of: instance, team: team)
        }
        if !request.comparePrecisions.isEmpty {
            progress("racing precisions \(request.comparePrecisions.map(\.precision.rawValue).joined(separator: ", ")), \(request.rounds) interleaved rounds")
            report.precisions = try racePrecisions(request, limits: limits, config: config, first: instance,
                                                   firstRuns: measurement.runsPerSample, firstValidation: measurement.validation, team: team)
        }
        return report
    }

    /// How long a race with threads waits between samples for the other side's spinning workers
    /// to sleep: OpenBLAS's spin 2^28 cycles (OPENBLAS_THREAD_TIMEOUT's default), 0.13 s at 2 GHz.
    static let peerSettleSeconds = 0.15

    private func raceOpenBLAS(kernel: any TunableKernel, instance: any KernelInstance, measurement: KernelMeasurement,
                              threads: Int, rounds: Int, hugePages: Bool, team: ParallelTeam) throws -> PeerComparison {
        let (m, n, k) = try gemmDimensions(kernel)
        OpenBLASGEMM.setThreads(threads)
        let peer = OpenBLASGEMM(m: m, n: n, k: k, weightMemory: hugePages)
        peer.run()
        let check = peer.validate()
        guard check.passed else { throw KernelError.unsupported("OpenBLAS computed a wrong result: \(check)") }
        let peerRuns = KernelMeasurer(options: .init(), team: team).warmUpAndCalibrateRuns(peer)
        // With threads, each side's idle workers spin after its calls (OpenBLAS's up to 2^28
        // cycles, about 0.1 s) and took a core from the other's next sample: 256³ at 2 threads
        // ran bimodal. A pause lets them sleep first.
        let comparison = InterleavedComparison.run(
            [{ instance.run() }, { peer.run() }], runsPerSample: [measurement.runsPerSample, peerRuns], rounds: rounds,
            settle: threads > 1 ? { Thread.sleep(forTimeInterval: Self.peerSettleSeconds) } : nil
        )
        let ratio = comparison.ratios[1] // peer time / our time
        return PeerComparison(
            name: "OpenBLAS \(peer.routine)\(hugePages ? " (its weights on huge pages)" : "")", oursGFLOPS: kernel.flops / comparison.statistics[0].median / 1e9,
            peerGFLOPS: kernel.flops / comparison.statistics[1].median / 1e9,
            speedup: ratio.timeRatio, speedupLow: ratio.low, speedupHigh: ratio.high, rounds: rounds
        )
    }

    /// The same problem and configuration in other weight precisions, each validated, then all
    /// raced in interleaved rounds against the requested one.
    private func racePrecisions(_ request: Request, limits: MachineSizes, config: KernelConfig, first: any KernelInstance,
                                firstRuns: Int, firstValidation: Validation, team: ParallelTeam) throws -> [PrecisionComparison] {
        var instances: [any KernelInstance] = [first]
        var runs = [firstRuns]
        var validations = [firstValidation]
        let others = request.comparePrecisions
        let precisions = [request.problem.precision] + others.map(\.precision)
        var configs = [config]
        let measurer = KernelMeasurer(options: request.options, team: team)
        for (precision, overrides) in others {
            var problem = request.problem
            problem.precision = precision
            let kernel = try KernelCatalog.kernel(for: problem, limits: limits)
            // The parameters this precision's space has (fp32 has no group, act or isa), then its overrides.
            var adjusted = config
            let known = Set(kernel.space.parameters.map(\.name))
            adjusted.values = adjusted.values.filter { known.contains($0.key) }
            if precision.isQuantized, adjusted.values["group"] == nil { adjusted.values["group"] = 0 }
            adjusted = try adjusted.applying(overrides: overrides)
            configs.append(adjusted)
            let instance = try kernel.instantiate(adjusted, team: team)
            instance.run()
            let validation = instance.validate()
            guard validation.passed else { throw MeasurementError.wrongResult(validation) }
            instances.append(instance)
            runs.append(measurer.warmUpAndCalibrateRuns(instance))
            validations.append(validation)
        }
        let comparison = InterleavedComparison.run(instances.map { instance in { instance.run() } }, runsPerSample: runs, rounds: request.rounds)
        let flops = try KernelCatalog.kernel(for: request.problem, limits: limits).flops
        return precisions.indices.map { index in
            let ratio = comparison.ratios[index]
            // ratios are time(i) / time(first); speed-up is the inverse, and the interval flips.
            return PrecisionComparison(precision: precisions[index], config: configs[index], gflops: flops / comparison.statistics[index].median / 1e9,
                                       speedup: 1 / ratio.timeRatio, speedupLow: 1 / ratio.high, speedupHigh: 1 / ratio.low,
                                       validation: validations[index])
        }
    }

    private func gemmDimensions(_ kernel: any TunableKernel) throws -> (Int, Int, Int) {
        if let gemm = kernel as? GEMMKernel { return (gemm.m, gemm.n, gemm.k) }
        if let gemv = kernel as? GEMVKernel { return (gemv.m, gemv.n, gemv.k) }
        throw KernelError.unsupported("--vs-openblas compares GEMMs (gemm, gemv); \(kernel.name) has no OpenBLAS peer here")
    }
}
