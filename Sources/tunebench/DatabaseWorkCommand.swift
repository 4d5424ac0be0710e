import ArgumentParser
import Foundation
import Reports
import TunebenchCore
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
                guard let work = try location.open(create: false) as? any SharedWork else {
                    throw ValidationError("shared work lives in a PostgreSQL database: give --db postgres://user@host:port/dbname")
                }
                let items = try work.items(matching: queue)
                if json { return print(String(decoding: try StableJSON.encode(items), as: UTF8.self), terminator: "") }
                print(SharedWorkText.render(items, queueFilter: queue))
            }
        }
    }
}
