import ArgumentParser
import Foundation
import Reports
import TunebenchCore
import Tuning
import TuningDatabase
import TuningDatabasePostgres

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Inspect, export, import, merge and push tuning databases (SQLite files or PostgreSQL).",
        subcommands: [List.self, Show.self, Export.self, Import.self, Merge.self, Push.self, Work.self]
    )

    struct Location: ParsableArguments {
        @Option(help: ArgumentHelp(StoreLocation.help))
        var db = TuningDatabase.defaultPath

        /// Reading commands open a SQLite file read-only (never created nor written).
        func openForReading() throws -> any TuningStore { try TuningStoreLocation.openForReading(db) }
        func open(create: Bool) throws -> any TuningStore { try TuningStoreLocation.open(db, create: create) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Profiles in the database with their runs and tuned layers.")
        @OptionGroup var location: Location

        func run() throws {
            try runReportingErrors { print(try DatabaseReportText.list(try location.openForReading())) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Best configurations (and runs) of a profile or layer.")
        @OptionGroup var location: Location
        @Option(help: "Only this profile id.")
        var profile: String?
        @Option(help: "Only layers whose key contains this text, e.g. \"m=32 n=4096\".")
        var layer: String?
        @Flag(help: "List the runs too.")
        var runs = false

        func run() throws {
            try runReportingErrors {
                print(try DatabaseReportText.show(try location.openForReading(), profileID: profile, layer: layer, showRuns: runs))
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the whole database as JSON (docs/tuning-database.md), or one run's trials as T4.")
        @OptionGroup var location: Location
        @Option(help: "json (the whole database) or t4 (one run's trials; needs --run).")
        var format = DatabaseExportFormat.json
        @Option(name: .customLong("run"), help: "The run to export as T4.")
        var runID: String?
        @Option(name: .shortAndLong, help: "Output file (default: standard output).")
        var output: String?

        func run() throws {
            try runReportingErrors {
                let data = try location.openForReading().dump().exported(as: format, runID: runID, location: location.db)
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
                print(try location.open(create: true).merge(try DatabaseDump.load(path: file)))
            }
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add another tuning database (e.g. from another machine) to this one.",
            discussion: "Rows already present are skipped; where both have a best configuration for the same profile, layer and kernel-library version, the faster is kept.")
        @OptionGroup var location: Location
        @Argument(help: "The other tuning database (a SQLite file or postgres://…).")
        var other: String

        func run() throws {
            try runReportingErrors {
                let source = try TuningStoreLocation.openForReading(other)
                print(try location.open(create: true).merge(try source.dump()))
            }
        }
    }

    struct Push: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a SQLite tuning database into a PostgreSQL one (rows already there are kept; the faster best wins).")
        @Argument(help: "The SQLite tuning database.")
        var file: String = TuningDatabase.defaultPath
        @Option(help: "postgres://user@host:port/dbname (password from PGPASSWORD or ~/.pgpass).")
        var to: String

        func run() throws {
            try runReportingErrors {
                guard PostgresLocation.isPostgres(to) else { throw ValidationError("--to is a postgres://user@host:port/dbname location") }
                let source = try TuningDatabase(readingPath: file)
                let target = try PostgresTuningDatabase(parsing: to)
                print("\(file) → \(target.location): \(try target.merge(try source.dump()))")
            }
        }
    }
}

