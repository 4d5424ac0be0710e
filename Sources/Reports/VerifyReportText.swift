import Foundation
import Tuning

/// What `tunebench verify` prints: each recorded best re-measured, and a summary line.
public enum VerifyReportText {
    public static func render(_ checks: [Verifier.Check], margin: Double, profileID: String) -> String {
        var table = TextTable(header: ["layer", "kernel", "recorded ms", "now ms", "now/recorded", "vs default rec → now", "status"])
        for check in checks {
            let best = check.best
            table.add([
                best.layer, best.kernel, String(format: "%.4f", best.medianSeconds * 1e3),
                check.nowSeconds.map { String(format: "%.4f", $0 * 1e3) } ?? "-",
                check.slowdown.map { String(format: "%.2f", $0) } ?? "-",
                "\(best.speedupOverDefault.map { String(format: "%.2fx", $0) } ?? "-") → \(check.nowSpeedupOverDefault.map { String(format: "%.2fx", $0) } ?? "-")",
                check.status == .ok ? "ok" : "\(check.status.rawValue.uppercased()): \(check.message)",
            ])
        }
        let flagged = checks.filter { $0.status != .ok }.count
        return [
            "verify on profile \(profileID): \(checks.count) recorded best configurations re-measured (each raced interleaved with its default)",
            table.render(),
            String(format: "%d of %d flagged (slower than recorded by more than %.0f%%, or failed)", flagged, checks.count, margin * 100),
        ].joined(separator: "\n")
    }
}
