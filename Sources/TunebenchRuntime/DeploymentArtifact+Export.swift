import KernelModel
import MachineIdentity
import TunebenchCore
import TuningDatabase

extension DeploymentArtifact {
    /// Which profiles `tunebench export` writes.
    public enum ProfileSelection: Sendable, Equatable {
        case all
        /// This machine (its fingerprint, from a quick identification).
        case current
        case id(String)

        /// "all", "current" or a fingerprint.
        public init(_ text: String) {
            switch text {
            case "all": self = .all
            case "current": self = .current
            default: self = .id(text)
            }
        }
    }

    /// The artifact of the selected profiles; when the database has nothing for them in this
    /// kernel-library version, an error that says what it does have (records of other versions,
    /// other profiles) so the user knows whether to tune again or pick another profile.
    public static func forExport(from database: any TuningStore, profiles selection: ProfileSelection) throws -> DeploymentArtifact {
        let wanted: Set<String>? = switch selection {
        case .all: nil
        case .current: [try LiveMachine.identify().id]
        case .id(let id): [id]
        }
        let artifact = try DeploymentArtifact.from(database, profileIDs: wanted)
        guard artifact.entries.isEmpty else { return artifact }
        let others = Set(try database.best().filter { wanted?.contains($0.profileId) ?? true }.map(\.kernelLibraryVersion)).sorted()
        let tuned = Set(try database.best(kernelLibraryVersion: KernelLibrary.version).map(\.profileId)).sorted()
        var message = "has no tuned layer for profile \(wanted.map { $0.sorted().joined(separator: ", ") } ?? "any") with kernel library \(KernelLibrary.version)"
        if !others.isEmpty { message += " (records of kernel library \(others.joined(separator: ", ")) exist: tune again with this build)" }
        if !tuned.isEmpty { message += "; profiles with records: \(tuned.joined(separator: ", "))" }
        throw FileError(path: database.address, message: message)
    }
}
