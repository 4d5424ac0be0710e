import ArgumentParser
import Foundation
import HardwareProbe
import Measurement
import Reports

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Probe this machine (or an hwloc XML export) and print its hardware profile."
    )

    @Option(name: .customLong("topology"), help: "Read the topology from an hwloc XML file instead of this machine.")
    var topologyFile: String?

    @Flag(help: "Measure the roofline (peak GFLOP/s, memory and cache bandwidth) and store it in the profile.")
    var measure = false

    @OptionGroup var output: ProfileOutputOptions

    func run() throws {
        try runReportingErrors {
            let store = output.profiles.store
            var profile = try probe()
            if measure {
                profile.roofline = try RooflineMeasurement.measureLiveMachine(threadCounts: output.threads, cores: profile.topology.cores) {
                    printToStderr($0)
                }
            } else {
                // The roofline saved for this profile (by `probe --measure --save` or `roofline`)
                // is its roofline: a plain probe said "not measured" although one was saved.
                profile = store.keepingSavedRoofline(profile)
            }
            try output.emit(profile) { print(ProfileSummary.render(profile)) }
        }
    }

    private func probe() throws -> HardwareProfile {
        guard let topologyFile else { return try HardwareProbe.probeLiveMachine(build: .thisBuild) }
        if measure {
            throw ValidationError("--measure runs on this machine; it cannot be combined with --topology")
        }
        return try HardwareProbe.probe(topologyFile: topologyFile, build: .thisBuild)
    }
}
