import Benchmarks
import Foundation
import Measurement

/// The text `tunebench bench` prints.
public enum BenchReportText {
    public static func render(_ report: KernelBenchmark.Report) -> String {
        let s = report.measurement.statistics
        func us(_ seconds: Double) -> String { String(format: "%.2f µs", seconds * 1e6) }
        var lines = [
            "\(report.problem.key)",
            "  config      \(report.config)",
            "  profile     \(report.profileID)",
            "  result      \(report.measurement.validation)",
            String(format: "  speed       %.2f GFLOP/s (median)", report.gflops),
        ]
        if let bound = report.boundGFLOPS, let kind = report.boundKind {
            lines.append(String(format: "  roofline    %.1f%% of the %@ bound (%.1f GFLOP/s)", 100 * report.gflops / bound, kind, bound))
        } else {
            lines.append("  roofline    not measured for this machine (run `tunebench probe --measure --save`)")
        }
        lines.append("  time        median \(us(s.median)) [95% CI \(us(s.medianLow)) – \(us(s.medianHigh))], min \(us(s.min)), p10 \(us(s.p10)), p90 \(us(s.p90))")
        lines.append(String(format: "              mean %@, sd %@, CV %.2f%%, %d samples x %d runs%@",
                            us(s.mean), us(s.standardDeviation), 100 * s.cv, s.count, report.measurement.runsPerSample,
                            report.measurement.converged ? "" : " (time cap reached before the CI target)"))
        if let backend = report.measurement.counterBackend {
            let overhead = report.measurement.counterOverheadSeconds.map { String(format: ", start/stop %.1f µs", $0 * 1e6) } ?? ""
            lines.append("  counters    backend \(backend.rawValue)\(overhead), per run:")
            for (name, value) in report.measurement.counters.sorted(by: { $0.key < $1.key }) {
                lines.append(String(format: "              %-28@ %.4g", name as NSString, value))
            }
        }
        if let peer = report.peer {
            lines.append(String(format: "  vs peer     %@: ours %.2f GFLOP/s, peer %.2f GFLOP/s, ratio %.3fx [95%% CI %.3f – %.3f] over %d interleaved rounds",
                                peer.name, peer.oursGFLOPS, peer.peerGFLOPS, peer.speedup, peer.speedupLow, peer.speedupHigh, peer.rounds))
        }
        if let harness = report.harness {
            lines.append(String(format: "  harness     adds %+.2f%% (median over %d interleaved rounds): harness %@ vs bare loop %@ per run",
                                100 * harness.overhead, harness.rounds, us(harness.harnessSeconds), us(harness.bareSeconds)))
        }
        if !report.precisions.isEmpty {
            lines.append("  precisions  interleaved, speed-up over \(report.precisions[0].precision.rawValue):")
            for entry in report.precisions {
                lines.append(String(format: "              %-5@ %7.2f GFLOP/s  %.2fx [95%% CI %.2f – %.2f]  error %.2e  %@",
                                    entry.precision.rawValue as NSString, entry.gflops, entry.speedup, entry.speedupLow,
                                    entry.speedupHigh, entry.validation.relativeError, entry.config.description as NSString))
            }
        }
        return lines.joined(separator: "\n")
    }
}
