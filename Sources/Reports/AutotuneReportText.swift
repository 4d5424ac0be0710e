import Foundation
import Kernels
import ModelEngine
import Tuning
import Workloads

/// What `autotune` prints: a table per layer, the candidates per precision, the model total,
/// and what was not imported.
public enum AutotuneReportText {
    /// The line `autotune` starts with: what it tunes, how long, where.
    public static func startLine(_ request: Autotuner.Request, profileID: String, database: String, sharing: Autotuner.Sharing?) -> String {
        let workload = request.workload
        let precisions = Set(request.precisions + [.fp32]).count
        return "autotuning \(workload.name): \(workload.uniqueLayers.count) unique layers x \(precisions) precisions within "
            + "\(seconds(request.totalSeconds)) on profile \(profileID) into \(database)"
            + (sharing.map { ", sharing as \($0.worker) under \"\($0.name)\"" } ?? "")
    }

    /// "90 s", "10 min", "1.5 h".
    public static func seconds(_ value: Double) -> String {
        if value >= 3600 { return String(format: "%g h", value / 3600) }
        if value >= 60 { return String(format: "%g min", value / 60) }
        return String(format: "%g s", value)
    }

    public static func progressLine(_ progress: Autotuner.Progress) -> String? {
        switch progress {
        case let .layerStarted(index, total, layer, precision, seconds, remaining):
            return "[\(index)/\(total)] \(layer) \(precision.rawValue): tuning for \(TuneReportText.duration(seconds)) (budget left \(TuneReportText.duration(remaining)))"
        case let .layerReused(index, total, layer, precision, trials, runID):
            return "[\(index)/\(total)] \(layer) \(precision.rawValue): already tuned for this profile (\(trials) measured trials, run \(runID.prefix(8))), reused (--retune to search again)"
        case let .layerRetuned(index, total, layer, precision, trials):
            return "[\(index)/\(total)] \(layer) \(precision.rawValue): the recorded best came from \(trials) measured trial(s), fewer than \(Autotuner.minimumTrials): searching again"
        case .trial:
            return nil
        case let .claimed(layer, claim):
            let takeOver = claim.attempt > 1 ? " (attempt \(claim.attempt), taken over from \(claim.takenOverFrom ?? "an expired claim"))" : ""
            return "claimed \(layer)\(takeOver)"
        case let .waiting(state):
            return "waiting: \(state.claimed) layers claimed by other tuners, \(state.open) open, \(state.done) done"
        case let .claimLost(layer):
            return "lost the claim of \(layer): another tuner took it over after this one stalled past its lease; its result is theirs"
        }
    }

    public static func render(_ result: Autotuner.Result, maxError: Double) -> String {
        let on = result.device.map { "the \($0) GPU of profile \(result.profileID)" } ?? "profile \(result.profileID)"
        var lines = ["\(result.workload.name) (\(result.workload.source)) on \(on): \(result.workload.instances.count) layer instances, \(result.layers.count) unique"
                     + (result.device == nil ? "" : " on the GPU")]
        var table = TextTable(header: ["layer", "x", "kernel", "precision", "error", "GFLOP/s", "roofline", "vs default", "configuration"])
        for layer in result.layers {
            guard let winner = layer.winner, let best = winner.best else {
                table.add([layer.layer.description, "\(layer.multiplicity)", layer.kernel.rawValue, "-", "-", "-", "-", "-", "no configuration passed"])
                continue
            }
            table.add([
                layer.layer.description, "\(layer.multiplicity)", best.kernel, winner.precision.rawValue,
                winner.relativeError.map { String(format: "%.1e", $0) } ?? "-", String(format: "%.2f", best.gflops),
                best.rooflineFraction.map { String(format: "%.0f%%", $0 * 100) } ?? "-",
                layer.defaultSeconds.map { String(format: "%.2fx", $0 / best.medianSeconds) } ?? "-",
                String(best.config.drop { $0 != " " }.dropFirst()),
            ])
        }
        lines.append(table.render())
        let elsewhere = result.layers.filter { !$0.tunedHere }.count
        if elsewhere > 0 {
            lines.append("shared: \(result.layers.count - elsewhere) unique layers done by this tuner, \(elsewhere) by the others (read from the database)")
        }
        let onModelWeights = result.layers.contains { $0.candidates.contains(where: \.errorOnModelWeights) }
        let errorSource = result.device != nil
            ? "relative L2 error of the GPU kernels' formats against fp32, on \(onModelWeights ? "the model's weights (layers with initializers; others on seeded weights)" : "seeded weights"), seeded inputs"
            : onModelWeights
            ? "relative L2 error on the model's weights (layers with initializers; others on random weights), random calibration inputs"
            : "relative L2 error on random weights and inputs (the kernels' validation)"
        lines.append(String(format: "candidate precisions (GFLOP/s, error; limit %.2g; %@):", maxError, errorSource))
        for layer in result.layers {
            let cells = layer.candidates.map { candidate -> String in
                guard let best = candidate.best else { return "\(candidate.precision.rawValue) failed" }
                var cell = String(format: "%@ %.2f", candidate.precision.rawValue, best.gflops)
                if let error = candidate.relativeError { cell += String(format: " (%.1e)", error) }
                if candidate.rejection != nil { cell += " rejected" }
                return cell
            }
            lines.append("  \(layer.layer): " + cells.joined(separator: ", "))
        }
        lines.append(accuracyLine(result, maxError: maxError))
        if let defaultSeconds = result.defaultSeconds, let tunedSeconds = result.tunedSeconds {
            let over = result.device == nil ? "the imported layers: default (fp32, analytical configuration)" : "the GPU's layers: default (fp32 kernel, its default configuration)"
            lines.append(String(format: "forward pass over %@ %.3f ms, tuned %.3f ms: %.2fx", over, defaultSeconds * 1e3, tunedSeconds * 1e3, defaultSeconds / tunedSeconds))
        } else {
            lines.append("forward pass: not every layer has a default and a tuned time (fp32 not tuned, or a layer failed)")
        }
        if let pass = result.modelBudget?.measuredPass {
            let predicted = result.tunedSeconds.map { String(format: "%.3f ms", $0 * 1e3) } ?? "not known"
            lines.append(String(format: "whole forward pass, measured in the compiled plan (tunebench run's engine): %.3f ms, %.3f ms of it in the layers (%.0f%%); predicted by the layers alone: %@",
                                pass.seconds * 1e3, pass.layerSeconds * 1e3, 100 * pass.layerSeconds / max(pass.seconds, 1e-12), predicted))
        }
        for elsewhere in result.onCPU { lines.append("left to the CPU: \(elsewhere.layer) x\(elsewhere.multiplicity): \(elsewhere.reason)") }
        for note in result.notes { lines.append("note: \(note)") }
        for item in result.workload.unsupported { lines.append("not imported: \(item)") }
        for note in result.workload.notes { lines.append("note: \(note)") }
        return lines.joined(separator: "\n")
    }

    /// Which rule held the precisions to `--max-error`, and what the model's output error is.
    static func accuracyLine(_ result: Autotuner.Result, maxError: Double) -> String {
        guard let budget = result.modelBudget else {
            let why = result.modelBudgetUnavailable ?? "the workload has no graph to check the model's output on"
            return String(format: "accuracy: each layer within %.2g on its own (%@)", maxError, why)
        }
        let inputs = budget.calibrationSource.map { "from \($0)" } ?? "seeded"
        var line = String(format: "accuracy: the model's output error %.2e (%@, worst of %d %@ calibration inputs) %@ the limit %.2g",
                          budget.error, budget.metric.description, budget.calibrationInputs, inputs, budget.holds ? "within" : "ABOVE", budget.limit)
        if !budget.backedOff.isEmpty {
            let steps = budget.backedOff.map { "\($0.layer) \($0.from.rawValue) → \($0.to.rawValue)" }.joined(separator: "; ")
            line += String(format: "; with the per-layer choices it was %.2e, backed off: ", budget.errorBefore) + steps
        }
        if !budget.fasterInContext.isEmpty {
            let steps = budget.fasterInContext.map {
                String(format: "%@ %@ → fp32 (whole pass %.3f → %.3f ms)", $0.layer.description, $0.from.rawValue, $0.seconds * 1e3, $0.fp32Seconds * 1e3)
            }
            line += "; faster in the graph with fp32: " + steps.joined(separator: "; ")
        }
        if budget.notRacedInContext > 0 {
            line += "; \(budget.notRacedInContext) layer(s) with a lower precision not raced in the graph (the races' budget, a tenth of --time, ran out)"
        }
        return line
    }
}
