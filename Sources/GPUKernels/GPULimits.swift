import CUDALibraries

/// What a device allows one block, against which the GPU spaces' constraints are checked.
/// From the probe's `CUDADeviceProperties` on a GPU machine; presets for compiling without one.
public struct GPULimits: Sendable, Equatable {
    public var computeCapabilityMajor: Int
    public var computeCapabilityMinor: Int
    public var maxThreadsPerBlock: Int
    /// Shared memory a block may use after opting in (dynamic shared memory).
    public var sharedMemoryPerBlockBytes: Int
    public var registersPerBlock: Int

    public init(computeCapabilityMajor: Int, computeCapabilityMinor: Int, maxThreadsPerBlock: Int,
                sharedMemoryPerBlockBytes: Int, registersPerBlock: Int) {
        self.computeCapabilityMajor = computeCapabilityMajor
        self.computeCapabilityMinor = computeCapabilityMinor
        self.maxThreadsPerBlock = maxThreadsPerBlock
        self.sharedMemoryPerBlockBytes = sharedMemoryPerBlockBytes
        self.registersPerBlock = registersPerBlock
    }

    public init(device: CUDADeviceProperties) {
        self.init(
            computeCapabilityMajor: device.computeCapabilityMajor, computeCapabilityMinor: device.computeCapabilityMinor,
            maxThreadsPerBlock: device.details.maxThreadsPerBlock,
            sharedMemoryPerBlockBytes: max(device.details.sharedMemoryPerBlockOptInBytes, device.details.sharedMemoryPerBlockBytes),
            registersPerBlock: device.details.registersPerBlock
        )
    }

    /// A100 (compute capability 8.0): 163 KiB of shared memory per block.
    public static let sm80 = GPULimits(computeCapabilityMajor: 8, computeCapabilityMinor: 0, maxThreadsPerBlock: 1024,
                                       sharedMemoryPerBlockBytes: 166_912, registersPerBlock: 65536)
    /// H100 / H200 (compute capability 9.0): 227 KiB of shared memory per block.
    public static let sm90 = GPULimits(computeCapabilityMajor: 9, computeCapabilityMinor: 0, maxThreadsPerBlock: 1024,
                                       sharedMemoryPerBlockBytes: 232_448, registersPerBlock: 65536)

    /// 90 for 9.0.
    public var architecture: Int { computeCapabilityMajor * 10 + computeCapabilityMinor }

    /// mma.sync m16n8k16 with fp16 and bf16 inputs, and cp.async: compute capability 8.0 on.
    public var hasTensorCoreMMA: Bool { computeCapabilityMajor >= 8 }
}
