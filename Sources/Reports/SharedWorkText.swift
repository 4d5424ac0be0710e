import Foundation
import TuningDatabase

/// What `db work` prints: per queue of a shared autotune, each layer's state, claim and lease.
public enum SharedWorkText {
    public static func render(_ items: [WorkItem], queueFilter: String) -> String {
        guard !items.isEmpty else { return "no shared work\(queueFilter.isEmpty ? "" : " in queues matching \"\(queueFilter)\"")" }
        var lines: [String] = []
        for (name, rows) in Dictionary(grouping: items, by: \.queue).sorted(by: { $0.key < $1.key }) {
            let done = rows.filter { $0.status == "done" }.count
            lines.append("\(name): \(done) of \(rows.count) done")
            var table = TextTable(header: ["item", "status", "claimed by", "lease", "attempts", "done at"])
            for row in rows {
                let lease = row.leaseSecondsLeft.map { $0 >= 0 ? String(format: "%.0f s left", $0) : "expired" } ?? "-"
                table.add([row.item, row.status, row.claimedBy ?? "-", lease, "\(row.attempts)", row.doneAt ?? "-"])
            }
            lines.append(table.render())
        }
        return lines.joined(separator: "\n")
    }
}
