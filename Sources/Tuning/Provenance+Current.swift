import Foundation
import HardwareProbe
import Kernels
import TuningDatabase

extension Provenance {
    /// This build and checkout: versions, compiler and target CPU from the profile's software
    /// section, the git commit of the working directory's checkout, the host name.
    public static func current(profile: HardwareProfile, directory: String = FileManager.default.currentDirectoryPath) -> Provenance {
        Provenance(
            tunebenchVersion: SoftwareInfo.tunebenchVersion, kernelLibraryVersion: KernelLibrary.version,
            compiler: profile.software.compiler, buildFlags: "-Ounchecked -march=\(profile.software.buildMarch)",
            gitCommit: gitCommit(from: directory) ?? "unknown", host: ProcessInfo.processInfo.hostName
        )
    }

    /// Reads .git/HEAD (and the ref it names, loose or packed) of the enclosing checkout,
    /// without running git.
    static func gitCommit(from directory: String) -> String? {
        var folder = URL(fileURLWithPath: directory)
        for _ in 0..<16 {
            let git = folder.appendingPathComponent(".git")
            if let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8) {
                let text = head.trimmingCharacters(in: .whitespacesAndNewlines)
                guard text.hasPrefix("ref: ") else { return text }
                let ref = String(text.dropFirst(5))
                if let loose = try? String(contentsOf: git.appendingPathComponent(ref), encoding: .utf8) {
                    return loose.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                let packed = (try? String(contentsOf: git.appendingPathComponent("packed-refs"), encoding: .utf8)) ?? ""
                return packed.split(separator: "\n").first { $0.hasSuffix(" " + ref) }.map { String($0.prefix { $0 != " " }) }
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
        return nil
    }
}
