/// A GPU: a PCI display or 3D controller seen by hwloc, enriched by the CUDA driver, NVML or
/// hwloc's GPU backends (CUDA, NVML, OpenCL osdevs in an XML export) where they are present.
/// Every field beyond the PCI identity is optional: profiles written before a field existed,
/// and machines without the driver, leave it out.
public struct GPUInfo: Codable, Equatable, Sendable {
    public var vendor: String?
    public var vendorID: Int
    public var deviceID: Int
    /// The PCI class, e.g. 0x0300 (VGA), 0x0302 (3D).
    public var pciClass: Int
    public var pciBusID: String
    /// The model name: the CUDA driver's, NVML's or a GPU backend's first, the PCI device name otherwise.
    public var name: String?
    public var memoryBytes: UInt64?
    /// "8.9" style, where known.
    public var computeCapability: String?
    public var multiprocessors: Int?
    /// The NVIDIA driver's version (NVML, e.g. "550.54.15"); not part of the fingerprint.
    public var driverVersion: String?
    /// Backends that expose the device for compute: "CUDA", "NVML", "OpenCL", …
    public var computeBackends: [String]
    /// "GPU-…" as `nvidia-smi -L` prints it; "MIG-…" for a MIG instance (a GPU in MIG mode is
    /// one entry per instance, all at its PCI address).
    public var uuid: String?
    /// What the CUDA driver reports beyond the identity: clocks, memory bus, caches, per-block
    /// and per-SM limits, the CUDA version.
    public var cuda: CUDADetails?
    /// Where the GPU sits: its PCIe link and the CPUs and NUMA nodes next to it (hwloc).
    public var placement: GPUPlacement?
    /// Measured by `tunebench roofline --gpu` (or the device check); nil until measured.
    public var roofline: GPURoofline?

    public init(
        vendor: String?, vendorID: Int, deviceID: Int, pciClass: Int, pciBusID: String, name: String?,
        memoryBytes: UInt64? = nil, computeCapability: String? = nil, multiprocessors: Int? = nil,
        driverVersion: String? = nil, computeBackends: [String] = []
    ) {
        self.vendor = vendor
        self.vendorID = vendorID
        self.deviceID = deviceID
        self.pciClass = pciClass
        self.pciBusID = pciBusID
        self.name = name
        self.memoryBytes = memoryBytes
        self.computeCapability = computeCapability
        self.multiprocessors = multiprocessors
        self.driverVersion = driverVersion
        self.computeBackends = computeBackends
    }

    /// What the fingerprint takes of a GPU: the PCI ids, and the compute capability, SM count
    /// and memory (GiB) where known (a MIG slice or a cut-down part is another machine); never
    /// the clocks, the driver or the CUDA version.
    public var fingerprintText: String {
        var text = String(format: "%04x:%04x", vendorID, deviceID)
        if let computeCapability { text += " cc=\(computeCapability)" }
        if let multiprocessors { text += " sms=\(multiprocessors)" }
        if let memoryBytes { text += " mem=\((Double(memoryBytes) / Double(1 << 30)).rounded())GiB" }
        return text
    }
}

/// The CUDA driver's view of a device (cuDeviceGetAttribute), as the profile records it; the
/// driver's `CUDADeviceProperties.details` and the GPU kernels' limits read the same value.
public struct CUDADetails: Codable, Equatable, Sendable {
    /// e.g. "12.4": the CUDA version the driver supports.
    public var cudaVersion: String
    public var clockMHz: Int
    public var memoryClockMHz: Int
    public var memoryBusWidthBits: Int
    public var l2CacheBytes: Int
    public var sharedMemoryPerBlockBytes: Int
    public var sharedMemoryPerBlockOptInBytes: Int
    public var sharedMemoryPerSMBytes: Int
    public var registersPerBlock: Int
    public var registersPerSM: Int
    public var maxThreadsPerBlock: Int
    public var maxThreadsPerSM: Int
    public var warpSize: Int

    public init(cudaVersion: String, clockMHz: Int, memoryClockMHz: Int, memoryBusWidthBits: Int, l2CacheBytes: Int,
                sharedMemoryPerBlockBytes: Int, sharedMemoryPerBlockOptInBytes: Int, sharedMemoryPerSMBytes: Int,
                registersPerBlock: Int, registersPerSM: Int, maxThreadsPerBlock: Int, maxThreadsPerSM: Int, warpSize: Int) {
        self.cudaVersion = cudaVersion
        self.clockMHz = clockMHz
        self.memoryClockMHz = memoryClockMHz
        self.memoryBusWidthBits = memoryBusWidthBits
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
}

/// A GPU's place in the machine, from hwloc.
public struct GPUPlacement: Codable, Equatable, Sendable {
    /// The PCIe link's bandwidth in GB/s as hwloc computes it from the link's speed and width.
    public var pciLinkGBps: Double?
    /// OS indexes of the NUMA nodes nearest the GPU (its PCI bridge's locality).
    public var numaNodes: [Int]
    /// OS indexes of the packages nearest the GPU.
    public var packages: [Int]
    /// NVLink bandwidth (GB/s) to other GPUs and CPUs, summed, where hwloc's NVML backend
    /// recorded an "NVLinkBandwidth" matrix; nil otherwise.
    public var nvlinkGBps: Double?

    public init(pciLinkGBps: Double?, numaNodes: [Int], packages: [Int], nvlinkGBps: Double? = nil) {
        self.pciLinkGBps = pciLinkGBps
        self.numaNodes = numaNodes
        self.packages = packages
        self.nvlinkGBps = nvlinkGBps
    }
}

/// A GPU's measured roofline: device memory bandwidth and arithmetic peaks.
public struct GPURoofline: Codable, Equatable, Sendable {
    public var copyGBps: Double
    public var triadGBps: Double
    public var fp32GFLOPs: Double
    /// mma.sync m16n8k16 with fp32 sums; nil below compute capability 8.0.
    public var fp16TensorGFLOPs: Double?
    public var bf16TensorGFLOPs: Double?
    public var measuredAt: String

    public init(copyGBps: Double, triadGBps: Double, fp32GFLOPs: Double, fp16TensorGFLOPs: Double?,
                bf16TensorGFLOPs: Double?, measuredAt: String) {
        self.copyGBps = copyGBps
        self.triadGBps = triadGBps
        self.fp32GFLOPs = fp32GFLOPs
        self.fp16TensorGFLOPs = fp16TensorGFLOPs
        self.bf16TensorGFLOPs = bf16TensorGFLOPs
        self.measuredAt = measuredAt
    }
}
