import ArgumentParser
import Benchmarks
import Foundation
import HardwareProbe
import Kernels
import Measurement

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure one kernel configuration: GFLOP/s, % of the roofline bound, statistics, counters.",
        discussion: """
        Kernels: gemm (--shape MxNxK), gemv (the skinny path, M <= 16; --shape MxNxK),
        conv2d (--shape N,C,H,W,K,R,S[,stride[,pad[,dilation]]]).
        The result is checked against the reference before any timing counts.
        """
    )

    @Argument(help: "gemm, gemv or conv2d.")
    var kernel: String

    @Option(help: "The problem shape (see above).")
    var shape: String

    @Option(help: "Parameters over the default configuration, e.g. mr=6,nr=16,kc=256,loop=n.")
    var config = ""

    @Option(help: "Weight precision: fp32, fp16, bf16, int8, int4.")
    var precision = "fp32"

    @Option(help: "Thread count (overrides threads= in --config).")
    var threads: Int?

    @Option(help: "Fused epilogue: none, bias, relu, gelu, bias+relu, bias+gelu.")
    var epilogue = "none"

    @Option(help: "PAPI events to count, comma-separated, or 'default' (cycles, instructions, cache misses, FP ops).")
    var counters: String?

    @Flag(help: "Multiplex the PAPI counters (more events than the CPU has counters, time-shared).")
    var multiplex = false

    @Flag(name: .customLong("vs-openblas"), help: "Race OpenBLAS cblas_sgemm on the same shape, interleaved, and print the ratio.")
    var vsOpenBLAS = false

    @Option(name: .customLong("vs-precisions"), help: "Race these weight precisions, interleaved, with the same configuration or their own overrides after @ joined by +, e.g. fp16,int8@prefetch=1024+nb=8.")
    var vsPrecisions: String?

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
            guard let precision = Precision(rawValue: precision) else {
                throw ValidationError("--precision is one of \(Precision.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let live = try HardwareProbe.probeLiveMachine(build: .thisBuild)
            // The saved profile of this machine carries the roofline; without one, no % is printed.
            let profile = (try? profiles.store.load(profiles.store.path(for: live.id))) ?? live
            var request = KernelBenchmark.Request(
                kernel: kernel, shape: shape, precision: precision, epilogue: try parseEpilogue(epilogue),
                overrides: config, threads: threads,
                counters: counters.map { $0.split(separator: ",").map(String.init) } ?? [],
                vsOpenBLAS: vsOpenBLAS,
                options: MeasurementOptions(timeCap: timeCap, flushBytes: flush), rounds: rounds
            )
            request.checkHarness = checkHarness
            request.options.multiplexCounters = multiplex
            request.comparePrecisions = try (vsPrecisions ?? "").split(separator: ",").map { item in
                let parts = item.split(separator: "@", maxSplits: 1).map(String.init)
                guard let value = Precision(rawValue: parts[0]) else { throw ValidationError("--vs-precisions: unknown precision \(parts[0])") }
                return (value, parts.count > 1 ? parts[1].replacingOccurrences(of: "+", with: ",") : "")
            }
            do {
                let report = try KernelBenchmark(profile: profile, topology: try HwlocTopology()).run(request) { printToStderr($0) }
                print(BenchReportText.render(report))
            } catch let error as KernelError {
                printToStderr("tunebench: error: \(error.message)")
                throw ExitCode(1)
            } catch let error as MeasurementError {
                printToStderr("tunebench: error: \(error.description)")
                throw ExitCode(2)
            }
        }
    }
}

func parseEpilogue(_ text: String) throws -> Epilogue {
    do { return try Epilogue(parsing: text) } catch let error as KernelError { throw ValidationError("--epilogue: \(error.message)") }
}
