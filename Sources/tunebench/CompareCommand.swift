import ArgumentParser
import HardwareProbe
import Reports

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two hardware profiles side by side; differing rows are marked *."
    )

    @Argument(help: "Profile A: a JSON file, or an id saved in the profiles directory.")
    var a: String

    @Argument(help: "Profile B: a JSON file, or an id saved in the profiles directory.")
    var b: String

    @OptionGroup var profiles: ProfileOptions

    func run() throws {
        try runReportingErrors {
            let store = profiles.store
            let comparison = ProfileComparison(try store.load(a), try store.load(b))
            print(comparison.render())
        }
    }
}
