import Foundation
import KernelModel
import MachineIdentity
import Synchronization
import TunebenchCore
import TuningDatabase

/// Gives a deployment the configuration for each layer on the machine it runs on, from a
/// tuning database or an exported artifact, following the fallback chain of docs/DESIGN.md: exact
/// record → same profile, nearest tuned shape → most similar profile → analytical model. The
/// answer says which step produced it; a missing record never fails. Answers are computed once
/// per layer and then served from memory; each fallback is reported once per layer through
/// `warn`, not per call.
public final class TuningRuntime: Sendable {
    struct Key: Hashable, Sendable {
        var profile: String
        var layer: String
        /// nil: the precision the profile's policy chose (else fp32).
        var precision: Precision?
        var device: ComputeDevice = .cpu
    }

    public let artifact: DeploymentArtifact
    /// The machine answers default to (the live machine unless given).
    public let machine: HardwareProfile
    /// The kernel code this deployment runs: records of another version are not used.
    public let kernelLibraryVersion: String
    private let entriesByProfile: [String: [DeploymentArtifact.Entry]]
    private let profilesByID: [String: HardwareProfile]
    private let answers: Mutex<[Key: RuntimeAnswer]>
    private let warn: @Sendable (String) -> Void

    /// - Parameters:
    ///   - machine: the profile answers are for by default; nil probes the live machine.
    ///   - warn: receives one line per layer that needed a fallback (default: standard error).
    public init(artifact: DeploymentArtifact, machine: HardwareProfile? = nil, kernelLibraryVersion: String = KernelLibrary.version,
                warn: @escaping @Sendable (String) -> Void = TuningRuntime.standardError) throws {
        self.artifact = artifact
        self.machine = try machine ?? LiveMachine.identify()
        self.kernelLibraryVersion = kernelLibraryVersion
        self.warn = warn
        let usable = artifact.kernelLibraryVersion == kernelLibraryVersion ? artifact.entries : []
        entriesByProfile = Dictionary(grouping: usable, by: \.profile)
        profilesByID = Dictionary(artifact.profiles.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        answers = Mutex([:])
        if artifact.kernelLibraryVersion != kernelLibraryVersion {
            warn("tunebench runtime: the records are for kernel library \(artifact.kernelLibraryVersion), this deployment runs \(kernelLibraryVersion): none is used, every layer gets the analytical configuration")
        }
        // Exact answers up front: the common case never computes anything after loading.
        var exact: [Key: RuntimeAnswer] = [:]
        for (profile, all) in entriesByProfile {
            for device in [ComputeDevice.cpu, .gpu] {
                let entries = all.filter { GPUDefaults.isGPUKernel($0.kernel) == (device == .gpu) }
                for layer in Set(entries.map(\.layer)) {
                    for precision in [nil] + Precision.allCases.map(Optional.some) {
                        if let answer = Self.exact(layer: layer, precision: precision, profile: profile, entries: entries) {
                            exact[Key(profile: profile, layer: layer, precision: precision, device: device)] = answer
                        }
                    }
                }
            }
        }
        answers.withLock { $0 = exact }
    }

    /// Opens an exported artifact (`tunebench export --format json`).
    public convenience init(artifactPath path: String, machine: HardwareProfile? = nil,
                            warn: @escaping @Sendable (String) -> Void = TuningRuntime.standardError) throws {
        try self.init(artifact: try DeploymentArtifact.load(path: path), machine: machine, warn: warn)
    }

    /// Opens a SQLite tuning database (read for this kernel-library version's records).
    public convenience init(databasePath path: String, machine: HardwareProfile? = nil,
                            warn: @escaping @Sendable (String) -> Void = TuningRuntime.standardError) throws {
        try self.init(store: try TuningDatabase(readingPath: path), machine: machine, warn: warn)
    }

    /// Reads a tuning database of either engine (this kernel-library version's records).
    public convenience init(store database: any TuningStore, machine: HardwareProfile? = nil,
                            warn: @escaping @Sendable (String) -> Void = TuningRuntime.standardError) throws {
        try self.init(artifact: try DeploymentArtifact.from(database), machine: machine, warn: warn)
        let stale = try database.best().filter { $0.kernelLibraryVersion != kernelLibraryVersion }
        if !stale.isEmpty {
            let versions = Set(stale.map(\.kernelLibraryVersion)).sorted().joined(separator: ", ")
            warn("tunebench runtime: \(stale.count) records of kernel library \(versions) in \(database.address) are not used: this deployment runs \(kernelLibraryVersion)")
        }
    }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// The configuration for `layer` on `profile` (default: this machine), in `precision`
    /// (default: the one the profile's precision policy chose, else fp32), for its CPU kernels
    /// or (`device: .gpu`) its CUDA kernels.
    /// A GPU answer is for the layer's product (`GPUDefaults.computed`): its fused epilogue runs
    /// after the kernel.
    public func config(for layer: Layer, precision: Precision? = nil, on profile: String? = nil, device: ComputeDevice = .cpu) -> RuntimeAnswer {
        let layer = device == .gpu ? GPUDefaults.computed(layer) : layer
        // Artifacts name layers by their key, so answers are kept by that text.
        return answer(for: Key(profile: profile ?? machine.id, layer: layer.description, precision: precision, device: device)) { layer }
    }

    /// The configuration for the layer a key names, e.g. "gemm m=32 n=4096 k=4096 bias" (as
    /// layer lists and artifacts write them), otherwise as `config(for: Layer, …)`.
    /// - Throws: only when `layer` is not a layer key.
    public func config(for layer: String, precision: Precision? = nil, on profile: String? = nil, device: ComputeDevice = .cpu) throws -> RuntimeAnswer {
        let parse = {
            guard let parsed = try? Layer.parse(key: layer).layer else {
                throw FileError(path: layer, message: "is not a layer key (e.g. \"gemm m=32 n=4096 k=4096 bias\")")
            }
            return parsed
        }
        if device == .gpu { return config(for: try parse(), precision: precision, on: profile, device: device) }
        return try answer(for: Key(profile: profile ?? machine.id, layer: layer, precision: precision, device: device), layer: parse)
    }

    /// The kept answer, else the fallback chain's (kept, and reported once).
    private func answer(for key: Key, layer: () throws -> Layer) rethrows -> RuntimeAnswer {
        if let known = answers.withLock({ $0[key] }) { return known }
        let answer = resolve(key, layer: try layer())
        let first = answers.withLock { table in
            if table[key] != nil { return false }
            table[key] = answer
            return true
        }
        if first {
            warn("tunebench runtime: \(key.layer)\(key.precision.map { " \($0.rawValue)" } ?? "")\(key.device == .gpu ? " (GPU)" : "") on \(key.profile): \(answer.step.rawValue): \(answer.source)")
        }
        return answer
    }

    // MARK: - The fallback chain

    private static func exact(layer: String, precision: Precision?, profile: String, entries: [DeploymentArtifact.Entry]) -> RuntimeAnswer? {
        let matching = entries.filter { $0.layer == layer }
        let entry: DeploymentArtifact.Entry?
        if let precision {
            entry = matching.first { $0.precision == precision }
        } else {
            entry = matching.first { $0.chosenBy?.hasPrefix("max-error") == true } ?? matching.first { $0.chosenBy != nil }
                ?? matching.first { $0.precision == .fp32 }
        }
        guard let entry else { return nil }
        let why = entry.chosenBy.map { ", chosen by \($0)" } ?? ""
        return RuntimeAnswer(kernel: entry.kernel, config: entry.config, precision: entry.precision, step: .exact,
                             source: "tuned for \(layer) \(entry.precision.rawValue) on \(profile)\(why)", expectedSeconds: entry.expectedSeconds)
    }

    private func resolve(_ key: Key, layer: Layer) -> RuntimeAnswer {
        if key.device == .gpu { return resolveGPU(key, layer: layer) }
        // A fallback never guesses a lower precision: its accuracy was not measured on this layer.
        let precision = key.precision ?? .fp32
        if let answer = nearest(to: layer, kernel: layer.kernel, precision: precision, in: entriesByProfile[key.profile] ?? []) {
            return RuntimeAnswer(kernel: answer.kernel, config: answer.config, precision: precision, step: .nearestShape,
                                 source: "no record for this layer; tuned for \(answer.layer) on \(key.profile)", expectedSeconds: nil)
        }
        let target = profilesByID[key.profile] ?? (key.profile == machine.id ? machine : nil)
        if let target {
            let others = artifact.profiles.filter { $0.id != key.profile && ProfileSimilarity.isaClass($0) == ProfileSimilarity.isaClass(target) }
                .sorted { ProfileSimilarity.distance(target, $0) < ProfileSimilarity.distance(target, $1) }
            for other in others {
                if let entry = nearest(to: layer, kernel: layer.kernel, precision: precision, in: entriesByProfile[other.id] ?? []) {
                    return RuntimeAnswer(kernel: entry.kernel, config: entry.config, precision: precision, step: .similarProfile,
                                         source: "nothing tuned on \(key.profile); tuned for \(entry.layer) on \(other.id) (\(other.name))", expectedSeconds: nil)
                }
            }
        }
        let config = AnalyticalDefaults.config(kernel: layer.kernel, m: layer.m ?? 1, precision: precision,
                                               limits: MachineSizes(profile: target ?? machine))
        let why = artifact.kernelLibraryVersion == kernelLibraryVersion
            ? "nothing tuned for this kernel on \(key.profile) or a similar profile"
            : "the records are for kernel library \(artifact.kernelLibraryVersion), not \(kernelLibraryVersion)"
        return RuntimeAnswer(kernel: layer.kernel.rawValue, config: config, precision: precision, step: .analytical,
                             source: "\(why); analytical configuration for the caches of \((target ?? machine).id)", expectedSeconds: nil)
    }

    /// The GPU chain: nearest shape tuned on this profile's GPU, then on the most similar GPU
    /// (same architecture family; SMs and memory on a log scale), then the kernel's default.
    private func resolveGPU(_ key: Key, layer: Layer) -> RuntimeAnswer {
        let precision = key.precision ?? .fp32
        let target = profilesByID[key.profile] ?? (key.profile == machine.id ? machine : nil)
        // Which tensor-core kernel depends on the GPU's architecture (wgmma on Hopper only).
        let capability = target.flatMap(ProfileSimilarity.cudaGPU)?.computeCapability
        guard let kernel = GPUDefaults.kernel(for: layer, precision: precision, computeCapability: capability),
              let fallback = GPUDefaults.config(kernel: kernel, layer: layer, precision: precision) else {
            return RuntimeAnswer(kernel: layer.kernel.rawValue, config: AnalyticalDefaults.config(kernel: layer.kernel, m: layer.m ?? 1, precision: precision, limits: MachineSizes(profile: machine)),
                                 precision: precision, step: .analytical,
                                 source: "no GPU kernel computes \(layer) in \(precision.rawValue): the CPU's analytical configuration", expectedSeconds: nil)
        }
        if let entry = nearest(to: layer, kernelName: kernel, precision: precision, in: entriesByProfile[key.profile] ?? []) {
            return RuntimeAnswer(kernel: kernel, config: entry.config, precision: precision, step: .nearestShape,
                                 source: "no GPU record for this layer; tuned for \(entry.layer) on \(key.profile)", expectedSeconds: nil)
        }
        if let target {
            let others = artifact.profiles.filter { $0.id != key.profile }
                .compactMap { other in ProfileSimilarity.gpuDistance(target, other).map { (other, $0) } }
                .sorted { $0.1 < $1.1 }.map(\.0)
            for other in others {
                if let entry = nearest(to: layer, kernelName: kernel, precision: precision, in: entriesByProfile[other.id] ?? []) {
                    let gpu = ProfileSimilarity.cudaGPU(other).flatMap(\.name) ?? "its GPU"
                    return RuntimeAnswer(kernel: kernel, config: entry.config, precision: precision, step: .similarProfile,
                                         source: "nothing tuned on the GPU of \(key.profile); tuned for \(entry.layer) on \(other.id) (\(gpu))", expectedSeconds: nil)
                }
            }
        }
        let gpu = target.flatMap(ProfileSimilarity.cudaGPU).flatMap(\.name).map { "its \($0)" } ?? "no CUDA GPU in its profile"
        return RuntimeAnswer(kernel: kernel, config: fallback, precision: precision, step: .analytical,
                             source: "nothing tuned for \(kernel) on \(key.profile) (\(gpu)) or a GPU of its family; the kernel's default configuration", expectedSeconds: nil)
    }

    /// The entry of the same kernel and precision whose shape is nearest `layer`.
    private func nearest(to layer: Layer, kernel: KernelKind, precision: Precision, in entries: [DeploymentArtifact.Entry]) -> DeploymentArtifact.Entry? {
        nearest(to: layer, kernelName: kernel.rawValue, precision: precision, in: entries)
    }

    private func nearest(to layer: Layer, kernelName: String, precision: Precision, in entries: [DeploymentArtifact.Entry]) -> DeploymentArtifact.Entry? {
        let candidates = entries.filter { $0.kernel == kernelName && $0.precision == precision }
            .compactMap { entry in (try? Layer.parse(key: entry.layer)).map { (entry, Layer.distance((layer, precision), ($0.layer, precision))) } }
        return candidates.min { $0.1 < $1.1 }?.0
    }
}

/// Which of a machine's processors a layer runs on.
public enum ComputeDevice: String, Codable, CaseIterable, Sendable {
    case cpu, gpu
}
