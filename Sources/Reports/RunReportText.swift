import Foundation
import ModelRunner
import Workloads

/// What `tunebench run` prints.
public enum RunReportText {
    public static func render(_ report: ModelRun.Report, plan: ONNXPlan, profileID: String, inputSource: String) -> String {
        var table = TextTable(header: ["layer", "node(s)", "kernel", "precision", "answer", "configuration"])
        for layer in report.layers {
            let parameters = layer.answer.config.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            table.add([layer.layer.description, layer.name, layer.answer.kernel, layer.answer.precision.rawValue,
                       layer.fallbackReason == nil ? layer.answer.step.rawValue : "analytical (bind failed)", parameters])
        }
        var lines = [
            "\(plan.workload.name) (\(plan.file.path)) on profile \(profileID), input \(inputSource); outputs \(report.outputShapes)",
            table.render(),
        ]
        for layer in report.layers {
            if let reason = layer.fallbackReason { lines.append("note: \(layer.name): the runtime's configuration did not fit (\(reason)); ran the analytical one") }
        }
        lines.append(String(format: "output error against the fp32 reference (relative L2): tuned %.2e, default %.2e", report.tunedError, report.defaultError))
        lines.append(String(format: "time in the layers per forward pass (median of %d interleaved passes each): default %.3f ms, tuned %.3f ms: %.2fx",
                            report.passes, report.defaultLayerSeconds * 1e3, report.tunedLayerSeconds * 1e3,
                            report.defaultLayerSeconds / report.tunedLayerSeconds))
        lines.append(String(format: "whole forward pass (compiled plan): default %.3f ms, tuned %.3f ms; reference path %.1f ms (one pass)",
                            report.defaultSeconds * 1e3, report.tunedSeconds * 1e3, report.referenceSeconds * 1e3))
        lines.append(String(format: "tuned passes back to back (as a service running this model keeps its caches): %.3f ms (median of %d)",
                            report.steadySeconds * 1e3, report.passes))
        let onReference = report.referenceNodes.isEmpty ? "none"
            : report.referenceNodes.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
        lines.append(String(format: "plan: arena %.1f KB (one buffer per value: %.1f KB); nodes on the reference operators per pass: %@",
                            Double(report.arenaBytes) / 1024, Double(report.unplannedBytes) / 1024, onReference))
        for attention in report.fusedAttentions {
            lines.append("fused attention: \(attention) runs as one step (outside the layers' time; those matmul layers' configurations are not used)")
        }
        if !report.profile.isEmpty {
            let total = report.profile.reduce(0) { $0 + $1.seconds }
            lines.append("profile of the tuned plan (each step timed, mean per pass):")
            for (kind, seconds) in report.profile {
                lines.append(String(format: "  %-28@ %9.3f ms  %5.1f%%", kind as NSString, seconds * 1e3, 100 * seconds / max(total, 1e-12)))
            }
        }
        return lines.joined(separator: "\n")
    }
}
