/// What the CUDA driver reports of one device: the probe's GPU fields and the limits the GPU
/// kernels' parameter spaces are checked against.
public struct CUDADeviceProperties: Codable, Equatable, Sendable {
    public var ordinal: Int
    public var name: String
    /// "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", as `nvidia-smi -L` prints it.
    public var uuid: String
    /// "0000:1b:00.0" (lower case, as hwloc writes it).
    public var pciBusID: String
    public var computeCapabilityMajor: Int
    public var computeCapabilityMinor: Int
    public var multiprocessors: Int
    public var clockMHz: Int
    public var memoryClockMHz: Int
    public var memoryBusWidthBits: Int
    public var memoryBytes: UInt64
    public var l2CacheBytes: Int
    /// Static shared memory a block may use without asking (48 KiB on every GPU since Kepler).
    public var sharedMemoryPerBlockBytes: Int
    /// What a block may use after `cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)`.
    public var sharedMemoryPerBlockOptInBytes: Int
    public var sharedMemoryPerSMBytes: Int
    public var registersPerBlock: Int
    public var registersPerSM: Int
    public var maxThreadsPerBlock: Int
    public var maxThreadsPerSM: Int
    public var warpSize: Int

    public init(
        ordinal: Int, name: String, uuid: String, pciBusID: String, computeCapabilityMajor: Int,
        computeCapabilityMinor: Int, multiprocessors: Int, clockMHz: Int, memoryClockMHz: Int,
        memoryBusWidthBits: Int, memoryBytes: UInt64, l2CacheBytes: Int, sharedMemoryPerBlockBytes: Int,
        sharedMemoryPerBlockOptInBytes: Int, sharedMemoryPerSMBytes: Int, registersPerBlock: Int,
        registersPerSM: Int, maxThreadsPerBlock: Int, maxThreadsPerSM: Int, warpSize: Int
    ) {
        self.ordinal = ordinal
        self.name = name
        self.uuid = uuid
        self.pciBusID = pciBusID
        self.computeCapabilityMajor = computeCapabilityMajor
        self.computeCapabilityMinor = computeCapabilityMinor
        self.multiprocessors = multiprocessors
        self.clockMHz = clockMHz
        self.memoryClockMHz = memoryClockMHz
        self.memoryBusWidthBits = memoryBusWidthBits
        self.memoryBytes = memoryBytes
        self.l2CacheBytes = l2CacheBytes
        self.sharedMemoryPerBlockBytes = sharedMemoryPerBlockBytes
        self.sharedMemoryPerBlockOptInBytes = sharedMemoryPerBlockOptInBytes
        self.sharedMemoryPerSMBytes = sharedMemoryPerSMBytes
        self.registersPerBlock = registersPerBlock
        self.registersPerSM = registersPerSM
        self.maxThreadsPerBlock = maxThreadsPerBlock
        self.maxThreadsPerSM = maxThreadsPerSM
        self.warpSize = warpSize
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
