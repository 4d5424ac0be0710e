import ArgumentParser
import DeploymentExport
import Foundation
import HardwareProbe
import Kernels
import TunebenchRuntime
import TuningDatabase

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

    @Option(help: "json, yaml or c-header.")
    var format = "json"

    @Option(help: ArgumentHelp(StoreLocation.help))
    var db = TuningDatabase.defaultPath

    @Option(name: [.customShort("o"), .long], help: "Write to this file instead of standard output.")
    var output: String?

    func run() throws {
        try runReportingErrors {
            guard let format = DeploymentExport.Format(rawValue: format) else {
                throw ValidationError("--format is one of \(DeploymentExport.Format.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let database = try StoreLocation.open(db, create: false)
            let wanted: Set<String>? = switch profile {
            case "all": nil
            case "current": [try HardwareProbe.identifyLiveMachine().id]
            default: [profile]
            }
            let artifact = try DeploymentArtifact.from(database, profileIDs: wanted)
            if artifact.entries.isEmpty {
                let others = Set(try database.best().filter { wanted?.contains($0.profileId) ?? true }.map(\.kernelLibraryVersion)).sorted()
                let tuned = Set(try database.best(kernelLibraryVersion: KernelLibrary.version).map(\.profileId)).sorted()
                var message = "has no tuned layer for profile \(wanted.map { $0.sorted().joined(separator: ", ") } ?? "any") with kernel library \(KernelLibrary.version)"
                if !others.isEmpty { message += " (records of kernel library \(others.joined(separator: ", ")) exist: tune again with this build)" }
                if !tuned.isEmpty { message += "; profiles with records: \(tuned.joined(separator: ", "))" }
                throw RuntimeError(path: database.address, message: message)
            }
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
