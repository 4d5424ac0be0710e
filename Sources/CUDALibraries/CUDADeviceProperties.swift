import MachineIdentity

/// What the CUDA driver reports of one device: its identity here, and `details`, the clocks,
/// memory system and limits exactly as the hardware profile records them (`CUDADetails`, which
/// the GPU kernels' parameter spaces are also checked against).
public struct CUDADeviceProperties: Codable, Equatable, Sendable {
    public var ordinal: Int
    public var name: String
    /// "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", as `nvidia-smi -L` prints it (the probe writes
    /// a MIG instance's "MIG-…": only NVML says whether the GPU is in MIG mode).
    public var uuid: String
    /// "0000:1b:00.0" (lower case, as hwloc writes it).
    public var pciBusID: String
    public var computeCapabilityMajor: Int
    public var computeCapabilityMinor: Int
    public var multiprocessors: Int
    public var memoryBytes: UInt64
    /// The driver's CUDA version, clocks, bus width, L2, shared memory, registers and threads.
    public var details: CUDADetails

    public init(ordinal: Int, name: String, uuid: String, pciBusID: String, computeCapabilityMajor: Int,
                computeCapabilityMinor: Int, multiprocessors: Int, memoryBytes: UInt64, details: CUDADetails) {
        self.ordinal = ordinal
        self.name = name
        self.uuid = uuid
        self.pciBusID = pciBusID
        self.computeCapabilityMajor = computeCapabilityMajor
        self.computeCapabilityMinor = computeCapabilityMinor
        self.multiprocessors = multiprocessors
        self.memoryBytes = memoryBytes
        self.details = details
    }

    /// "9.0".
    public var computeCapability: String { "\(computeCapabilityMajor).\(computeCapabilityMinor)" }

    /// The architecture NVRTC compiles for: "sm_90".
    public var architecture: String { "sm_\(computeCapabilityMajor)\(computeCapabilityMinor)" }

    static func formatUUID(_ bytes: [UInt8]) -> String {
        let hex = bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        let groups = [8, 4, 4, 4, 12]
        var parts: [String] = []
        var index = hex.startIndex
        for length in groups {
            let end = hex.index(index, offsetBy: length, limitedBy: hex.endIndex) ?? hex.endIndex
            parts.append(String(hex[index..<end]))
            index = end
        }
        return "GPU-" + parts.joined(separator: "-")
    }

    /// The driver writes "0000:1B:00.0" (NVML and nvidia-smi "00000000:1B:00.0"); hwloc's form,
    /// which the probe compares with, is a 4-digit domain in lower case.
    public static func normalizeBusID(_ text: String) -> String {
        let lower = text.lowercased()
        guard let colon = lower.firstIndex(of: ":") else { return lower }
        let domain = lower[..<colon]
        return domain.count > 4 ? String(domain.suffix(4)) + lower[colon...] : lower
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
