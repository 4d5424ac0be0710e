import Foundation
import KernelModel
import MachineIdentity
import TunebenchCore
import TuningDatabase

extension DeploymentArtifact {
    /// The records of one kernel-library version in a database: each best configuration as
    /// an entry, marked when a precision choice points to it; only `profileIDs` (nil: all).
    public static func from(_ database: any TuningStore, profileIDs: Set<String>? = nil,
                            kernelLibraryVersion: String = KernelLibrary.version) throws -> DeploymentArtifact {
        let wanted = { (id: String) in profileIDs?.contains(id) ?? true }
        let choices = try database.choices(kernelLibraryVersion: kernelLibraryVersion).filter { wanted($0.profileId) }
        var entries: [Entry] = []
        // A user's CUDA kernel ("cuda:NAME", tuned with `tune --cuda`) is no model layer: it stays
        // in the database and its T4 file, not in a deployment.
        for best in try database.best(kernelLibraryVersion: kernelLibraryVersion) where wanted(best.profileId) && !best.kernel.hasPrefix("cuda:") {
            let (key, device) = GPULayerKey.split(best.layer)
            let (layer, precision) = try Layer.parse(key: key)
            let config = try KernelConfig(parsing: best.config)
            // The autotuned choice (a max-error policy) before a locked precision.
            let choice = choices.filter { $0.profileId == best.profileId && $0.bestLayer == best.layer }
                .sorted { ($0.policy.hasPrefix("max-error") ? 0 : 1, $0.policy) < ($1.policy.hasPrefix("max-error") ? 0 : 1, $1.policy) }.first
            entries.append(Entry(profile: best.profileId, layer: layer.description, precision: precision, kernel: config.kernel,
                                 parameters: config.values, expectedSeconds: best.medianSeconds, gflops: best.gflops,
                                 chosenBy: choice?.policy, relativeError: choice?.relativeError,
                                 modelCheck: choice?.modelCheck, modelOutputError: choice?.modelOutputError, device: device))
        }
        let decoder = JSONDecoder()
        let profiles = try database.profiles().filter { wanted($0.id) }.map { record in
            do { return try decoder.decode(HardwareProfile.self, from: Data(record.json.utf8)) } catch {
                throw FileError(path: database.address, message: "profile \(record.id) in the database is not a valid profile document (\(error))")
            }
        }
        return DeploymentArtifact(kernelLibraryVersion: kernelLibraryVersion,
                                  exportedAt: Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false)),
                                  profiles: profiles, entries: entries)
    }
}
