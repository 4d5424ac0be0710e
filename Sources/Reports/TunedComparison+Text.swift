import Foundation
import TunebenchRuntime

extension TunedComparison {
    /// The per-layer table, the totals and the costs, as aligned text or Markdown.
    public func render(markdown: Bool = false) -> String {
        let header = ["layer", "x", "A kernel/precision", "A ms", "A GFLOP/s", "B kernel/precision", "B ms", "B GFLOP/s", "faster", "B/A time"]
        var cells: [[String]] = []
        func describe(_ side: Side) -> String {
            "\(side.answer.kernel) \(side.answer.precision.rawValue)" + (side.answer.step == .exact ? "" : " (\(side.answer.step.rawValue))")
        }
        func milliseconds(_ seconds: Double?) -> String { seconds.map { String(format: "%.4f", $0 * 1e3) } ?? "not measured" }
        for row in rows {
            cells.append([row.layer.description, "\(row.multiplicity)", describe(row.a), milliseconds(row.a.seconds),
                          row.gflops(row.a).map { String(format: "%.1f", $0) } ?? "-", describe(row.b), milliseconds(row.b.seconds),
                          row.gflops(row.b).map { String(format: "%.1f", $0) } ?? "-", row.faster ?? "-",
                          row.ratio.map { String(format: "%.2fx", $0) } ?? "-"])
        }
        var lines = ["Tuned results, \(scope): A = \(targetA.describe(a)); B = \(targetB.describe(b))"]
        if markdown {
            lines.append("")
            lines.append("| " + header.joined(separator: " | ") + " |")
            lines.append("|" + header.map { _ in "---" }.joined(separator: "|") + "|")
            for row in cells { lines.append("| " + row.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |") }
            lines.append("")
        } else {
            var table = TextTable(header: header)
            for row in cells { table.add(row) }
            lines.append(table.render())
        }
        lines.append(totalsLine)
        if let line = costLine { lines.append(line) }
        let untimed = rows.filter { $0.a.seconds == nil || $0.b.seconds == nil }.count
        if untimed > 0 {
            lines.append("\(untimed) of \(rows.count) layers are not measured on both sides (a fallback answered): their configuration is shown, their time is not guessed.")
        }
        lines += otherPrecisionHints
        return lines.joined(separator: "\n")
    }

    /// Per side, the untimed layers that have records in another precision: `tune --gpu` records
    /// no precision choice, so a GPU's fp16 records are missed unless `--precision` names fp16.
    var otherPrecisionHints: [String] {
        [("A", \Row.a, targetA), ("B", \Row.b, targetB)].compactMap { name, side, target in
            let missed = rows.map { $0[keyPath: side] }.filter { $0.seconds == nil && !$0.tunedPrecisions.isEmpty }
            let precisions = Precision.allCases.filter { precision in missed.contains { $0.tunedPrecisions.contains(precision) } }
            guard let first = precisions.first else { return nil }
            let (layers, are, them) = missed.count == 1 ? ("1 layer", "is", "it") : ("\(missed.count) layers", "are", "them")
            return "\(layers) not measured on \(name) (\(target.deviceName)) \(are) tuned there in \(precisions.map(\.rawValue).joined(separator: ", ")): "
                + "--precision \(name)=\(first.rawValue) compares \(them)."
        }
    }

    var totalsLine: String {
        guard let x = secondsA, let y = secondsB else {
            return "per inference: " + [("A", secondsA), ("B", secondsB)].map { name, seconds in
                "\(name) " + (seconds.map { String(format: "%.4f ms", $0 * 1e3) } ?? "not measured (a layer has no record)")
            }.joined(separator: ", ")
        }
        let head = String(format: "per inference (each layer x its multiplicity): A %.4f ms, B %.4f ms: ", x * 1e3, y * 1e3)
        guard x != y else { return head + "the same time" }
        return head + String(format: "%@ serves it %.2fx faster", x < y ? "A" : "B", max(x, y) / min(x, y))
    }

    var costLine: String? {
        guard pricePerHourA != nil || pricePerHourB != nil else { return nil }
        func cost(_ name: String, _ price: Double?, _ value: Double?) -> String {
            guard let price else { return "\(name): no price given" }
            return String(format: "%@ at %.2f/h: ", name, price) + (value.map { String(format: "%.4f per million inferences", $0) } ?? "not measured")
        }
        var line = "cost: " + cost("A", pricePerHourA, costPerMillionA) + "; " + cost("B", pricePerHourB, costPerMillionB)
        if let x = costPerMillionA, let y = costPerMillionB, x != y { line += "; cheaper: \(x < y ? "A" : "B") (\(String(format: "%.2fx", max(x, y) / min(x, y))))" }
        return line
    }
}
