import ArgumentParser
import Foundation
import HardwareProbe
import Kernels
import Search
import TunebenchRuntime
import TuningDatabase

extension BuildTarget {
    /// What this binary's kernels were compiled for, recorded in every profile it probes.
    static var thisBuild: BuildTarget { BuildTarget(march: KernelLibrary.buildMarch, isa: KernelLibrary.buildISA) }
}

/// One way for every subcommand to fail: a one-line message on stderr and exit status 1.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ProbeError {
        printToStderr("tunebench: error: \(error.message)")
        throw ExitCode(1)
    } catch let error as TuningDatabaseError {
        printToStderr("tunebench: error: \(error)")
        throw ExitCode(1)
    } catch let error as SearchError {
        printToStderr("tunebench: error: \(error.message)")
        throw ExitCode(1)
    } catch let error as KernelError {
        printToStderr("tunebench: error: \(error.message)")
        throw ExitCode(1)
    } catch let error as RuntimeError {
        printToStderr("tunebench: error: \(error)")
        throw ExitCode(1)
    }
}

func printToStderr(_ line: String) {
    FileHandle.standardError.write(Data("\(line)\n".utf8))
}

/// `--dim batch=1 --dim seq=128` (one size each, as `run` and `compare` take them) → ["batch": 1, "seq": 128].
func parseDimensionSizes(_ items: [String]) throws -> [String: Int] {
    var dimensions: [String: Int] = [:]
    for item in items {
        let parts = item.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let size = Int(parts[1]), size > 0 else {
            throw ValidationError("--dim takes name=size with a positive size, e.g. batch=1; got \"\(item)\"")
        }
        dimensions[String(parts[0])] = size
    }
    return dimensions
}

/// "1,2,4" → [1, 2, 4].
func parseThreadCounts(_ text: String) throws -> [Int] {
    let counts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
        throw ValidationError("--threads takes a comma-separated list of positive counts, e.g. 1,2,4; got \"\(text)\"")
    }
    return counts.compactMap { $0 }
}

struct ProfileOptions: ParsableArguments {
    @Option(name: .customLong("profiles"), help: "Directory of saved profiles.")
    var profilesDirectory = "profiles"

    var store: ProfileStore { ProfileStore(directory: profilesDirectory) }

    /// This machine's saved profile (it carries the measured roofline), else a fresh probe.
    func currentMachine() throws -> HardwareProfile {
        let live = try HardwareProbe.probeLiveMachine(build: .thisBuild)
        return (try? store.load(store.path(for: live.id))) ?? live
    }
}

/// What `probe` and `roofline` share: where the profile goes and the roofline's thread counts.
struct ProfileOutputOptions: ParsableArguments {
    @Flag(help: "Print the profile as JSON.")
    var json = false

    @Flag(help: "Write the profile to <profiles>/<id>.json.")
    var save = false

    @Option(help: "Thread counts to measure the roofline at, e.g. 1,2 (default: 1..cores).")
    var threads: String?

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
