import ArgumentParser
import Foundation
import Reports
import Tuning
import TuningDatabase

extension DatabaseCommand {
    /// `db work`: the queues of shared autotunes (`autotune --share`), who holds which layer
    /// and until when.
    struct Work: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Shared work in a PostgreSQL database: each queue's layers, their state, claims and leases.")
        @OptionGroup var location: Location
        @Option(help: "Only queues whose name contains this text (a --share name, a profile id).")
        var queue = ""
        @Flag(help: "Print the items as JSON.")
        var json = false

        func run() throws {
            try runReportingErrors {
                guard let work = try location.open() as? any SharedWork else {
                    throw ValidationError("shared work lives in a PostgreSQL database: give --db postgres://user@host:port/dbname")
                }
                let items = try work.items(matching: queue)
                if json { return print(String(decoding: try JSONFile.encode(items), as: UTF8.self), terminator: "") }
                guard !items.isEmpty else { return print("no shared work\(queue.isEmpty ? "" : " in queues matching \"\(queue)\"")") }
                for (name, rows) in Dictionary(grouping: items, by: \.queue).sorted(by: { $0.key < $1.key }) {
                    let done = rows.filter { $0.status == "done" }.count
                    print("\(name): \(done) of \(rows.count) done")
                    var table = TextTable(header: ["item", "status", "claimed by", "lease", "attempts", "done at"])
                    for row in rows {
                        let lease = row.leaseSecondsLeft.map { $0 >= 0 ? String(format: "%.0f s left", $0) : "expired" } ?? "-"
                        table.add([row.item, row.status, row.claimedBy ?? "-", lease, "\(row.attempts)", row.doneAt ?? "-"])
                    }
                    print(table.render())
                }
            }
        }
    }
}
