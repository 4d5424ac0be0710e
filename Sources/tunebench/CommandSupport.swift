import ArgumentParser
import Foundation
import HardwareProbe
import Kernels
import TunebenchCore

extension BuildTarget {
    /// What this binary's kernels were compiled for, recorded in every profile it probes.
    static var thisBuild: BuildTarget { BuildTarget(march: KernelLibrary.buildMarch, isa: KernelLibrary.buildISA) }
}

/// One way for every subcommand to fail (docs/DESIGN.md, "Errors"): a tunebench error is one
/// line on stderr and its exit status; an option a library found unusable is a usage error.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as OptionError {
        throw ValidationError(error.message)
    } catch let error as any TunebenchError {
        printToStderr("tunebench: error: \(error)")
        throw ExitCode(error.exitCode)
    }
}

func printToStderr(_ line: String) {
    FileHandle.standardError.write(Data("\(line)\n".utf8))
}

struct ProfileOptions: ParsableArguments {
    @Option(name: .customLong("profiles"), help: "Directory of saved profiles.")
    var profilesDirectory = "profiles"

    var store: ProfileStore { ProfileStore(directory: profilesDirectory) }

    /// This machine's saved profile (it carries the measured roofline), else a fresh probe.
    func currentMachine() throws -> HardwareProfile {
        try HardwareProbe.currentMachine(store: store, build: .thisBuild)
    }
}

/// What `probe` and `roofline` share: where the profile goes and the roofline's thread counts.
struct ProfileOutputOptions: ParsableArguments {
    @Flag(help: "Print the profile as JSON.")
    var json = false

    @Flag(help: "Write the profile to <profiles>/<id>.json.")
    var save = false

    @Option(help: "Thread counts to measure the roofline at, e.g. 1,2 (default: 1..cores).", transform: ThreadCounts.parse)
    var threads: [Int]?

    @OptionGroup var profiles: ProfileOptions

    /// Saves the profile when asked; prints it as JSON when asked, else calls `printSummary`.
    func emit(_ profile: HardwareProfile, printSummary: () -> Void) throws {
        if save { printToStderr("saved \(try profiles.store.save(profile))") }
        if json {
            print(String(decoding: try ProfileStore.encode(profile), as: UTF8.self), terminator: "")
        } else {
            printSummary()
        }
    }
}
