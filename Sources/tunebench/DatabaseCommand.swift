import ArgumentParser
import Foundation
import Tuning
import TuningDatabase

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Inspect, export, import and merge tuning databases.",
        subcommands: [List.self, Show.self, Export.self, Import.self, Merge.self]
    )

    struct Location: ParsableArguments {
        @Option(help: "The tuning database.")
        var db = TuningDatabase.defaultPath

        /// An existing database: reading commands never create one.
        func open(create: Bool = false) throws -> TuningDatabase { try TuningDatabase(path: db, create: create) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Profiles in the database with their runs and tuned layers.")
        @OptionGroup var location: Location

        func run() throws {
            try runReportingErrors { print(try DatabaseReportText.list(try location.open())) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Best configurations (and runs) of a profile or layer.")
        @OptionGroup var location: Location
        @Option(help: "Only this profile id.")
        var profile: String?
        @Option(help: "Only layers whose signature contains this text, e.g. \"m=32 n=4096\".")
        var layer: String?
        @Flag(help: "List the runs too.")
        var runs = false

        func run() throws {
            try runReportingErrors {
                print(try DatabaseReportText.show(try location.open(), profileID: profile, layer: layer, showRuns: runs))
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the whole database as JSON (docs/tuning-database.md), or one run's trials as T4.")
        @OptionGroup var location: Location
        @Option(help: "json (the whole database) or t4 (one run's trials; needs --run).")
        var format = "json"
        @Option(name: .customLong("run"), help: "The run to export as T4.")
        var runID: String?
        @Option(name: .shortAndLong, help: "Output file (default: standard output).")
        var output: String?

        func run() throws {
            try runReportingErrors {
                let database = try location.open()
                let data: Data
                switch format {
                case "json": data = try database.dump().encoded()
                case "t4":
                    guard let run = runID else { throw ValidationError("--format t4 exports one run: give --run ID (see `db show --runs`)") }
                    guard try database.run(id: run) != nil else { throw TuningDatabaseError(path: database.path, message: "has no run \(run)") }
                    data = try T4Results(trials: try database.trials(runID: run)).encoded()
                default: throw ValidationError("--format is json or t4")
                }
                if let output { try data.write(to: URL(fileURLWithPath: output)) } else { FileHandle.standardOutput.write(data) }
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a JSON export to the database (created if missing).")
        @OptionGroup var location: Location
        @Argument(help: "A file written by `db export`.")
        var file: String

        func run() throws {
            try runReportingErrors {
                let data: Data
                do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                    throw TuningDatabaseError(path: file, message: "cannot be read: \(error.localizedDescription)")
                }
                let dump = try DatabaseDump.decode(data, path: file)
                print(try location.open(create: true).merge(dump))
            }
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add another tuning database (e.g. from another machine) to this one.",
            discussion: "Rows already present are skipped; where both have a best configuration for the same profile, layer and kernel-library version, the faster is kept.")
        @OptionGroup var location: Location
        @Argument(help: "The other SQLite tuning database.")
        var other: String

        func run() throws {
            try runReportingErrors {
                let source = try TuningDatabase(path: other, create: false)
                print(try location.open(create: true).merge(try source.dump()))
            }
        }
    }
}
