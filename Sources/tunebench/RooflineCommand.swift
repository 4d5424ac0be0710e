import ArgumentParser
import HardwareProbe
import Measurement
import Reports

struct RooflineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roofline",
        abstract: "Measure this machine's roofline (same as `probe --measure`) and print it."
    )

    @OptionGroup var output: ProfileOutputOptions

    func run() throws {
        try runReportingErrors {
            var profile = try HardwareProbe.probeLiveMachine(build: .thisBuild)
            let roofline = try RooflineMeasurement.measureLiveMachine(threadCounts: output.threads, cores: profile.topology.cores) {
                printToStderr($0)
            }
            profile.roofline = roofline
            try output.emit(profile) {
                print("Roofline of \(profile.id) (\(profile.name)):")
                print(ProfileSummary.rooflineTable(roofline).render())
            }
        }
    }
}
