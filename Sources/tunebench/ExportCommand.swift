import ArgumentParser
import DeploymentExport
import Foundation
import TunebenchCore
import TunebenchRuntime
import TuningDatabase
import TuningDatabasePostgres

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a deployment artifact: per layer, the tuned kernel, parameters, precision and expected time.",
        discussion: """
        The artifact (docs/deployment.md) holds the records of this build's kernel library for the \
        chosen profiles: every tuned precision of every layer, the one autotune chose marked. \
        TunebenchRuntime reads JSON; the C header carries a table and an exact lookup.
        """
    )

    @Option(help: "The profile: a fingerprint, current (this machine) or all.")
    var profile = "current"

    @Option(help: "The artifact's format.")
    var format = DeploymentExport.Format.json

    @Option(help: ArgumentHelp(StoreLocation.help))
    var db = TuningDatabase.defaultPath

    @Option(name: [.customShort("o"), .long], help: "Write to this file instead of standard output.")
    var output: String?

    func run() throws {
        try runReportingErrors {
            let database = try TuningStoreLocation.openForReading(db)
            let artifact = try DeploymentArtifact.forExport(from: database, profiles: .init(profile))
            let text = try DeploymentExport.render(artifact, as: format)
            if let output {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output))
                printToStderr("wrote \(output): \(artifact.entries.count) entries for \(artifact.profiles.count) profile(s)")
            } else {
                print(text, terminator: "")
            }
        }
    }
}
