import Foundation
import Workloads

/// What `tunebench inspect` prints: the layers that would be tuned, then what runs outside them.
public enum InspectionText {
    public static func render(_ inspection: ModelInspection) -> String {
        let summary = inspection.summary
        let bound = summary.dimensions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.map(String.init).joined(separator: ","))" }
        var lines = ["\(summary.name) (\(summary.model), opset \(summary.opset))\(bound.isEmpty ? "" : " at " + bound.joined(separator: " "))"]
        var table = TextTable(header: ["layer", "kernel", "x", "MFLOP", "node(s)"])
        for layer in summary.layers {
            let names = layer.names.count > 2 ? "\(layer.names[0]), … (\(layer.names.count))" : layer.names.joined(separator: ", ")
            table.add([layer.key, layer.kernel, "\(layer.multiplicity)", String(format: "%.2f", layer.flops / 1e6), names])
        }
        lines.append("\(summary.layers.count) unique layers to tune, \(String(format: "%.1f", summary.flopsPerPass / 1e6)) MFLOP per forward pass:")
        lines.append(table.render())
        func counts(_ operators: [String: Int]) -> String {
            operators.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
        }
        if !summary.onReferenceCode.isEmpty { lines.append("on reference code: \(counts(summary.onReferenceCode))") }
        if !summary.withoutImplementation.isEmpty {
            lines.append("no implementation (`run` refuses the graph): \(counts(summary.withoutImplementation))")
        }
        for item in summary.unsupported { lines.append("not imported: \(item)") }
        for note in summary.notes { lines.append("note: \(note)") }
        return lines.joined(separator: "\n")
    }
}
