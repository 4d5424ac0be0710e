import ArgumentParser
import Foundation
import Reports
import Tuning
import TuningDatabase
import TuningDatabasePostgres

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-measure this machine's recorded best configurations and flag those that got slower.",
        discussion: """
        Each best configuration of this profile (this build's kernel library) is raced interleaved \
        with its analytical default. It is flagged when it now takes more than (1 + margin) times \
        its recorded time, or its speed-up over the default fell by more than the margin (a ratio \
        from one run: it does not move with the machine's overall drift). Exit status 3 when \
        anything is flagged, for scheduled checks.
        """
    )

    @Option(help: ArgumentHelp(StoreLocation.help))
    var db = TuningDatabase.defaultPath

    @Option(help: "Allowed slow-down before a configuration is flagged (0.15 = 15%).")
    var margin = 0.15

    @Option(help: "Interleaved rounds per configuration.")
    var rounds = 5

    @Option(help: "Only layers whose key contains this text.")
    var layer: String?

    @OptionGroup var trials: TrialOptions

    @OptionGroup var profiles: ProfileOptions

    func run() throws {
        try runReportingErrors {
            guard margin >= 0 else { throw ValidationError("--margin must be >= 0") }
            let profile = try profiles.currentMachine()
            let verifier = Verifier(profile: profile, database: try TuningStoreLocation.open(db, create: false), runner: try trials.runner())
            var settings = TrialSettings()
            settings.timeCap = trials.timeCap
            let checks = try verifier.run(margin: margin, rounds: rounds, layerContaining: layer, settings: settings) { index, total, best in
                printToStderr("[\(index)/\(total)] \(best.layer)")
            }
            print(VerifyReportText.render(checks, margin: margin, profileID: profile.id))
            if checks.contains(where: { $0.status != .ok }) { throw ExitCode(3) }
        }
    }
}
