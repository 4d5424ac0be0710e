import Foundation
import HardwareProbe
import KernelModel
import TunebenchRuntime

/// `compare --html`: one self-contained page (inline CSS and SVG, no external files) with the
/// hardware differences, each side's roofline (of the CPU or GPU it is compared on) with its
/// tuned layers placed on it, a bar chart of per-layer times, and the tables. A small script
/// records each chart's rendered size in `data-rendered` attributes, so a headless browser's
/// DOM dump shows the charts were laid out.
public enum ComparisonHTML {
    public static func render(_ comparison: TunedComparison, hardware: ProfileComparison) -> String {
        let title = "tunebench compare: \(comparison.a.name) vs \(comparison.b.name)"
        var body = ["<h1>\(escape(title))</h1>",
                    "<p>A = <code>\(escape(comparison.a.id))</code> (\(escape(comparison.a.name))) on <strong>\(escape(comparison.targetA.deviceName))</strong>\(comparison.targetA.precisionSuffix), B = <code>\(escape(comparison.b.id))</code> (\(escape(comparison.b.name))) on <strong>\(escape(comparison.targetB.deviceName))</strong>\(comparison.targetB.precisionSuffix); \(escape(comparison.scope)).</p>",
                    "<p class=\"totals\">\(escape(comparison.totalsLine))</p>"]
        if let cost = comparison.costLine { body.append("<p class=\"cost\">\(escape(cost))</p>") }
        body.append("<h2>Rooflines with the tuned layers</h2><div class=\"charts\">")
        body.append(roofline(comparison, side: "A"))
        body.append(roofline(comparison, side: "B"))
        body.append("</div><h2>Time per layer</h2>")
        body.append(bars(comparison))
        body.append("<h2>Layers</h2>")
        body.append(table(comparison))
        body.append("<h2>Hardware</h2><pre>\(escape(hardware.render()))</pre>")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>
            body { font-family: sans-serif; margin: 2em; color: #222; }
            .charts { display: flex; flex-wrap: wrap; gap: 2em; }
            svg.chart { background: #fafafa; border: 1px solid #ddd; }
            .roof { fill: none; stroke: #444; stroke-width: 2; }
            .roof-cache, .roof-tensor { stroke: #999; stroke-width: 1; stroke-dasharray: 4 3; }
            .layer-point { fill: #d62728; fill-opacity: 0.8; }
            .bar-a { fill: #1f77b4; } .bar-b { fill: #ff7f0e; }
            .axis { stroke: #888; } text { font-size: 11px; }
            table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 2px 6px; font-size: 12px; }
            </style></head><body>
            \(body.joined(separator: "\n"))
            <script>
            for (const svg of document.querySelectorAll("svg.chart")) {
              const box = svg.getBoundingClientRect();
              svg.setAttribute("data-rendered", Math.round(box.width) + "x" + Math.round(box.height));
              const marks = [...svg.querySelectorAll(".layer-point, .bar")].filter(e => e.getBoundingClientRect().width > 0);
              svg.setAttribute("data-visible-marks", String(marks.length));
            }
            </script>
            </body></html>

            """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Log-log roofline of the device a side is compared on (`ChartRoofs`): each layer with an
    /// exact record at its arithmetic intensity (FLOPs per byte moved at least, in its precision)
    /// and GFLOP/s.
    static func roofline(_ comparison: TunedComparison, side: String) -> String {
        let (profile, target) = side == "A" ? (comparison.a, comparison.targetA) : (comparison.b, comparison.targetB)
        let (width, height, left, bottom, top, right) = (520.0, 340.0, 60.0, 40.0, 30.0, 20.0)
        let roofs = ChartRoofs(profile, on: target)
        var marks: [(x: Double, y: Double, label: String)] = []
        for row in comparison.rows {
            let chosen = side == "A" ? row.a : row.b
            guard let gflops = row.gflops(chosen) else { continue }
            let intensity = row.layer.flops / row.layer.minimumBytes(precision: chosen.answer.precision)
            marks.append((intensity, gflops, "\(row.layer.description) \(chosen.answer.precision.rawValue): \(String(format: "%.1f", gflops)) GFLOP/s, \(String(format: "%.2f", intensity)) FLOP/B"))
        }
        let xs = marks.map(\.x) + [0.1, 100], ys = marks.map(\.y) + [roofs?.highestPeak ?? 1]
        let (xMin, xMax) = (log10(xs.min()!) - 0.5, log10(xs.max()!) + 0.5)
        let (yMin, yMax) = (log10(max(ys.min()!, 0.01)) - 0.5, log10(ys.max()!) + 0.3)
        func px(_ x: Double) -> Double { left + (log10(x) - xMin) / (xMax - xMin) * (width - left - right) }
        func py(_ y: Double) -> Double { height - bottom - (log10(y) - yMin) / (yMax - yMin) * (height - bottom - top) }
        var svg = ["<svg class=\"chart roofline\" data-profile=\"\(side)\" data-device=\"\(target.device.rawValue)\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">",
                   "<text x=\"\(left)\" y=\"18\">\(side): \(escape(profile.name)), \(escape(target.deviceName))</text>",
                   "<line class=\"axis\" x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\"/>",
                   "<line class=\"axis\" x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\"/>",
                   "<text x=\"\(width / 2 - 60)\" y=\"\(height - 8)\">FLOP per byte (log)</text>",
                   "<text x=\"8\" y=\"\(top - 8)\">GFLOP/s (log)</text>"]
        for exponent in Int(ceil(xMin))...Int(floor(xMax)) {
            let x = px(pow(10, Double(exponent)))
            svg.append("<text x=\"\(x - 8)\" y=\"\(height - bottom + 14)\">1e\(exponent)</text>")
        }
        for exponent in Int(ceil(yMin))...Int(floor(yMax)) {
            svg.append("<text x=\"6\" y=\"\(py(pow(10, Double(exponent))) + 4)\">1e\(exponent)</text>")
        }
        if let roofs {
            for roof in roofs.roofs {
                let (bandwidth, peak) = (roof.GBps, roof.peakGFLOPS)
                let ridge = peak / bandwidth
                let x0 = pow(10, xMin), x1 = pow(10, xMax)
                let start = (x0, max(bandwidth * x0, pow(10, yMin)))
                svg.append("<polyline class=\"roof \(roof.style)\" points=\"\(px(max(x0, start.1 / bandwidth))),\(py(start.1)) \(px(min(ridge, x1))),\(py(min(peak, bandwidth * x1))) \(px(x1)),\(py(peak))\"><title>\(escape(roof.label))</title></polyline>")
            }
        } else {
            svg.append("<text x=\"\(left + 10)\" y=\"\(top + 16)\">\(ChartRoofs.missing(on: target))</text>")
        }
        for mark in marks {
            svg.append("<circle class=\"layer-point\" cx=\"\(px(mark.x))\" cy=\"\(py(mark.y))\" r=\"5\"><title>\(escape(mark.label))</title></circle>")
        }
        if marks.isEmpty { svg.append("<text x=\"\(left + 10)\" y=\"\(top + 34)\">no layer measured on this \(target.device == .gpu ? "GPU" : "profile")</text>") }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    /// Per layer, a bar per profile: its tuned time per execution (linear, ms).
    static func bars(_ comparison: TunedComparison) -> String {
        let rowHeight = 34.0, left = 300.0, width = 820.0
        let height = Double(comparison.rows.count) * rowHeight + 30
        let longest = comparison.rows.flatMap { [$0.a.seconds, $0.b.seconds] }.compactMap { $0 }.max() ?? 1
        var svg = ["<svg class=\"chart bars\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">",
                   "<rect class=\"legend bar-a\" x=\"\(left)\" y=\"4\" width=\"10\" height=\"10\"/><text x=\"\(left + 14)\" y=\"13\">A (\(escape(comparison.targetA.deviceName)))</text>",
                   "<rect class=\"legend bar-b\" x=\"\(left + 200)\" y=\"4\" width=\"10\" height=\"10\"/><text x=\"\(left + 214)\" y=\"13\">B (\(escape(comparison.targetB.deviceName)))</text>"]
        for (index, row) in comparison.rows.enumerated() {
            let y = 24 + Double(index) * rowHeight
            svg.append("<text x=\"4\" y=\"\(y + 16)\">\(escape(String(row.layer.description.prefix(46)))) x\(row.multiplicity)</text>")
            for (offset, side, cls) in [(0.0, row.a, "bar-a"), (14.0, row.b, "bar-b")] {
                if let seconds = side.seconds {
                    let length = max(1, seconds / longest * (width - left - 90))
                    svg.append("<rect class=\"bar \(cls)\" x=\"\(left)\" y=\"\(y + offset)\" width=\"\(length)\" height=\"12\"><title>\(escape(row.layer.description)): \(String(format: "%.4f", seconds * 1e3)) ms</title></rect>")
                    svg.append("<text x=\"\(left + length + 4)\" y=\"\(y + offset + 10)\">\(String(format: "%.4f ms", seconds * 1e3))</text>")
                } else {
                    svg.append("<text x=\"\(left)\" y=\"\(y + offset + 10)\">not measured (\(side.answer.step.rawValue))</text>")
                }
            }
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    static func table(_ comparison: TunedComparison) -> String {
        let (deviceA, deviceB) = (escape(comparison.targetA.deviceName), escape(comparison.targetB.deviceName))
        var rows = ["<table><tr><th>layer</th><th>x</th><th>A (\(deviceA))</th><th>A ms</th><th>B (\(deviceB))</th><th>B ms</th><th>faster</th></tr>"]
        for row in comparison.rows {
            func cell(_ side: TunedComparison.Side) -> String {
                let parameters = side.answer.config.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                return "<td>\(escape(side.answer.kernel)) \(side.answer.precision.rawValue) [\(side.answer.step.rawValue)]<br><small>\(escape(parameters))</small></td><td>\(side.seconds.map { String(format: "%.4f", $0 * 1e3) } ?? "not measured")</td>"
            }
            rows.append("<tr><td>\(escape(row.layer.description))</td><td>\(row.multiplicity)</td>\(cell(row.a))\(cell(row.b))<td>\(row.faster ?? "-")</td></tr>")
        }
        rows.append("</table>")
        return rows.joined(separator: "\n")
    }
}
