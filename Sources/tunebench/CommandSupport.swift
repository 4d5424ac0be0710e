import ArgumentParser
import Foundation
import HardwareProbe

/// One way for every subcommand to fail: a one-line message on stderr and exit status 1.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ProbeError {
        FileHandle.standardError.write(Data("tunebench: error: \(error.message)\n".utf8))
        throw ExitCode(1)
    }
}

func printToStderr(_ line: String) {
    FileHandle.standardError.write(Data("\(line)\n".utf8))
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
}
