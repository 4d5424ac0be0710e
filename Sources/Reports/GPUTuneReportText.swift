import Foundation
import GPUKernels
import Tuning
import TuningDatabase

/// `tune --gpu` / `tune --cuda`: progress lines and the summary of a GPU run.
public enum GPUTuneReportText {
    public static func progressLine(_ trial: TrialRecord, best: BestRecord?) -> String {
        let outcome: String
        if trial.status == .ok, let seconds = trial.medianSeconds {
            outcome = String(format: "%.4f ms", seconds * 1000) + (trial.gflops.map { String(format: ", %.0f GFLOP/s", $0) } ?? "")
        } else {
            outcome = "\(trial.status.rawValue): \(trial.message ?? "")"
        }
        let bestText = best.map { String(format: "  (best %.4f ms)", $0.medianSeconds * 1000) } ?? ""
        return "[\(trial.seq + 1)] \(trial.source) \(trial.config): \(outcome)\(bestText)"
    }

    public static func render(_ result: GPUTuneResult) -> String {
        var lines = ["\(result.run.kernel) \(result.run.layer): \(result.trials.count) trials (\(result.run.strategy)), "
            + "\(result.trials.filter { $0.status == .ok }.count) ok, \(result.trials.filter { $0.status == .invalid }.count) refused, "
            + "\(result.trials.filter { $0.status == .wrongResult }.count) wrong; "
            + "\(result.compileStatistics.compilations) compiled, \(result.compileStatistics.hits) from the compile cache"]
        if let reason = result.stoppedBecause { lines.append("stopped early: \(reason)") }
        if let best = result.best {
            lines.append(String(format: "best: %@  %.4f ms", best.config, best.medianSeconds * 1000)
                + (best.gflops > 0 ? String(format: ", %.0f GFLOP/s", best.gflops) : "")
                + (best.speedupOverDefault.map { String(format: ", %.2fx the default", $0) } ?? ""))
            if let kept = result.keptBest {
                lines.append(String(format: "the layer's best stays %@ (%.4f ms): faster than this run's", kept.config, kept.medianSeconds * 1000))
            }
        } else {
            lines.append("no configuration ran correctly; the first failures:")
            lines += result.trials.prefix(3).map { "  \($0.config): \($0.message ?? $0.status.rawValue)" }
        }
        return lines.joined(separator: "\n")
    }

    /// `--vs-cublas`: medians of the interleaved rounds and the range of the per-round ratios.
    public static func cublasLine(_ race: CUBLASRace, flops: Double) -> String {
        String(format: "vs cuBLAS: tuned %.4f ms (%.0f GFLOP/s), cuBLAS %.4f ms (%.0f GFLOP/s): %.2fx [%.2f-%.2f] over %d interleaved rounds",
               race.tunedMedian, flops / (race.tunedMedian * 1e6), race.cublasMedian, flops / (race.cublasMedian * 1e6),
               race.ratio, race.ratioRange.lowerBound, race.ratioRange.upperBound, race.tunedMilliseconds.count)
    }

    /// `--compile-only`: how many configurations compiled, and NVRTC's words for the others.
    public static func compileReport(kernel: String, target: String, compiled: Int, refused: [(String, String)]) -> String {
        var lines = ["\(kernel) for \(target): \(compiled) of \(compiled + refused.count) configurations compiled"]
        lines += refused.prefix(20).map { "  refused \($0.0): \($0.1)" }
        if refused.count > 20 { lines.append("  … and \(refused.count - 20) more") }
        return lines.joined(separator: "\n")
    }
}
