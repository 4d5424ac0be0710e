import ArgumentParser
import Benchmarks
import Foundation
import HardwareProbe
import Kernels
import Measurement
import Reports

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure one kernel configuration: GFLOP/s, % of the roofline bound, statistics, counters.",
        discussion: """
        Kernels: gemm (--shape MxNxK), gemv (the skinny path, M <= 16; --shape MxNxK),
        conv2d (--shape N,C,H,W,K,R,S[,stride[,pad[,dilation[,groups]]]]) and dwconv2d
        (depthwise, K = C; the same shape without groups).
        The result is checked against the reference before any timing counts.
        """
    )

    @Argument(help: "The kernel.")
    var kernel: KernelKind

    @Option(help: "The problem shape (see above).")
    var shape: String

    @Option(help: "Parameters over the default configuration, e.g. mr=6,nr=16,kc=256,loop=n.")
    var config = ""

    @Option(help: "Weight precision.")
    var precision = Precision.fp32

    @Option(help: "Thread count (overrides threads= in --config).")
    var threads: Int?

    @Option(help: "Fused epilogue: none, bias, an activation (relu, relu6, gelu for the tanh form, gelu_erf for the exact one), or bias+activation.", transform: EpilogueArgument.parse)
    var epilogue = Epilogue.none

    @Option(help: "PAPI events to count, comma-separated, or 'default' (cycles, instructions, cache misses, FP ops).")
    var counters: String?

    @Flag(help: "Multiplex the PAPI counters (more events than the CPU has counters, time-shared).")
    var multiplex = false

    @Flag(name: .customLong("vs-openblas"), help: "Race OpenBLAS on the same shape (cblas_sgemv for one row, else cblas_sgemm), interleaved, and print the ratio.")
    var vsOpenBLAS = false

    @Flag(name: .customLong("peer-huge-pages"), help: "With --vs-openblas: OpenBLAS's weights on huge pages, as tunebench's repacked ones are (default: an ordinary buffer, as a caller's).")
    var peerHugePages = false

    @Option(name: .customLong("vs-precisions"), help: "Race these weight precisions, interleaved, with the same configuration or their own overrides after @ joined by +, e.g. fp16,int8@prefetch=1024+nb=8.",
            transform: PrecisionOverrides.parse)
    var vsPrecisions: [(precision: Precision, overrides: String)] = []

    @Flag(name: .customLong("check-harness"), help: "Also measure what the harness adds over a bare loop of the same kernel.")
    var checkHarness = false

    @Option(help: "Interleaved rounds of the races.")
    var rounds = 15

    @Option(help: "Seconds of sampling at most.")
    var timeCap: Double = 2

    @Option(help: "Bytes to overwrite between samples to flush the caches (0: none).")
    var flush = 0

    @OptionGroup var profiles: ProfileOptions

    func run() throws {
        try runReportingErrors {
            let profile = try profiles.currentMachine()
            let problem = KernelProblem(layer: try Layer(kernel: kernel, shape: shape, epilogue: epilogue), precision: precision, kernel: kernel)
            try problem.layer.checkFits(precision: precision)
            var request = KernelBenchmark.Request(
                problem: problem, overrides: config, threads: threads,
                counters: counters.map { $0.split(separator: ",").map(String.init) } ?? [],
                vsOpenBLAS: vsOpenBLAS, options: MeasurementOptions(timeCap: timeCap, flushBytes: flush), rounds: rounds
            )
            request.checkHarness = checkHarness
            request.peerHugePages = peerHugePages
            request.options.multiplexCounters = multiplex
            request.comparePrecisions = vsPrecisions
            let report = try KernelBenchmark(profile: profile, topology: try HwlocTopology()).run(request) { printToStderr($0) }
            print(BenchReportText.render(report))
        }
    }
}

/// `--vs-precisions fp16,int8@prefetch=1024+nb=8`: precisions, each with its own overrides.
enum PrecisionOverrides {
    static func parse(_ text: String) throws -> [(precision: Precision, overrides: String)] {
        try text.split(separator: ",").map { item in
            let parts = item.split(separator: "@", maxSplits: 1).map(String.init)
            guard let value = Precision(rawValue: parts[0]) else { throw ValidationError("--vs-precisions: unknown precision \(parts[0])") }
            return (value, parts.count > 1 ? parts[1].replacingOccurrences(of: "+", with: ",") : "")
        }
    }
}
