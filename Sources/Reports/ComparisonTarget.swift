import HardwareProbe
import KernelModel
import MachineIdentity
import TunebenchCore
import TunebenchRuntime

/// What one side of `compare --db` is measured on: its profile's CPU or its CUDA GPU, and in
/// which precision. A GPU side answers from the profile's GPU records through the runtime's GPU
/// fallback chain, as a deployment asking with `device: .gpu` would.
public struct ComparisonTarget: Sendable, Equatable {
    public var device: ComputeDevice
    /// The GPU a `.gpu` side's records are for: the profile's first CUDA device, the one the
    /// runtime's GPU chain compares machines by.
    public var gpu: GPUInfo?
    /// nil: each layer in the precision the profile's precision policy chose, else fp32 (the
    /// runtime's default). `tune --gpu` records no choice, so GPU records in another precision
    /// need it named.
    public var precision: Precision?

    /// The profile's CPU, each layer in its chosen precision: what `compare` measured before GPU
    /// records existed.
    public static let cpu = ComparisonTarget(device: .cpu, gpu: nil, precision: nil)

    private init(device: ComputeDevice, gpu: GPUInfo?, precision: Precision?) {
        self.device = device
        self.gpu = gpu
        self.precision = precision
    }

    /// - Throws: `OptionError` when `device` is `.gpu` and the profile lists no CUDA GPU (one the
    ///   NVIDIA driver described): no GPU record can be its.
    public init(_ device: ComputeDevice, of profile: HardwareProfile, precision: Precision? = nil) throws {
        var gpu: GPUInfo?
        if device == .gpu {
            gpu = ProfileSimilarity.cudaGPU(profile)
            guard gpu != nil else {
                var listed: [String] = []
                for name in profile.gpus.compactMap(\.name) where !listed.contains(name) { listed.append(name) }
                let others = listed.isEmpty ? "it lists no GPU" : "it lists \(listed.joined(separator: ", ")) without the CUDA driver's details"
                throw OptionError("profile \(profile.id) (\(profile.name)) has no CUDA GPU to compare on: \(others) (probe the machine with the NVIDIA driver loaded)")
            }
        }
        self.init(device: device, gpu: gpu, precision: precision)
    }

    /// "CPU" or the GPU's name, e.g. "NVIDIA H200 (GPU)".
    public var deviceName: String {
        guard device == .gpu else { return "CPU" }
        return "\(gpu?.name ?? "its GPU") (GPU)"
    }

    /// " in fp16" when a precision is named, else nothing.
    public var precisionSuffix: String { precision.map { " in \($0.rawValue)" } ?? "" }

    /// How a report names a side: "d36c… (Xeon …) on NVIDIA H200 (GPU) in fp16".
    public func describe(_ profile: HardwareProfile) -> String {
        "\(profile.id) (\(profile.name)) on \(deviceName)\(precisionSuffix)"
    }

    /// Whether an artifact entry is a record of this side: the profile's, on this device.
    public func holds(_ entry: DeploymentArtifact.Entry, of profile: HardwareProfile) -> Bool {
        entry.profile == profile.id && GPUDefaults.isGPUKernel(entry.kernel) == (device == .gpu)
    }
}
