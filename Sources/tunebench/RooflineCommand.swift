import ArgumentParser
import HardwareProbe
import Reports

struct RooflineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roofline",
        abstract: "Measure this machine's roofline (same as `probe --measure`) and print it."
    )

    @Flag(help: "Print the whole profile as JSON.")
    var json = false

    @Flag(help: "Write the profile, roofline included, to <profiles>/<id>.json.")
    var save = false

    @Option(help: "Thread counts to measure at, e.g. 1,2 (default: 1..cores).")
    var threads: String?

    @OptionGroup var profiles: ProfileOptions

    func run() throws {
        try runReportingErrors {
            var profile = try HardwareProbe.probeLiveMachine()
            let roofline = try measureRoofline(threadsOption: threads, profile: profile)
            profile.roofline = roofline
            if save {
                printToStderr("saved \(try ProfileStore(directory: profiles.profilesDirectory).save(profile))")
            }
            if json {
                print(String(decoding: try ProfileStore.encode(profile), as: UTF8.self), terminator: "")
            } else {
                print("Roofline of \(profile.id) (\(profile.name)):")
                print(ProfileSummary.rooflineTable(roofline).render())
            }
        }
    }
}
