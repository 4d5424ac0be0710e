import CUDALibraries
@testable import HardwareProbe
import MachineIdentity
import Testing

/// The CUDA driver's view of a device in the profile (no GPU needed: the driver's answer is
/// built here as `CUDADriver.properties` builds it).
@Suite("CUDA devices in the profile")
struct CUDADeviceTests {
    static let details = CUDADetails(cudaVersion: "13.0", clockMHz: 1980, memoryClockMHz: 3201, memoryBusWidthBits: 6144,
                                     l2CacheBytes: 62_914_560, sharedMemoryPerBlockBytes: 49152, sharedMemoryPerBlockOptInBytes: 232_448,
                                     sharedMemoryPerSMBytes: 233_472, registersPerBlock: 65536, registersPerSM: 65536,
                                     maxThreadsPerBlock: 1024, maxThreadsPerSM: 2048, warpSize: 32)
    static let h200 = CUDADeviceProperties(ordinal: 0, name: "NVIDIA H200", uuid: "GPU-0a1b2c3d-0000-1111-2222-333344445555",
                                           pciBusID: "0000:1b:00.0", computeCapabilityMajor: 9, computeCapabilityMinor: 0,
                                           multiprocessors: 132, memoryBytes: 150_754_820_096, details: details)

    @Test("a GPU hwloc found takes the driver's name, UUID, memory, capability, SMs and details; one it missed is added from them")
    func enrich() {
        var gpu = GPUInfo(vendor: "NVIDIA Corporation", vendorID: 0x10de, deviceID: 0x2335, pciClass: 0x0302, pciBusID: "0000:1b:00.0", name: nil)
        gpu.enrich(from: Self.h200)
        #expect(gpu.name == "NVIDIA H200" && gpu.uuid == Self.h200.uuid && gpu.memoryBytes == 150_754_820_096)
        #expect(gpu.computeCapability == "9.0" && gpu.multiprocessors == 132 && gpu.cuda == Self.details)
        #expect(gpu.computeBackends == ["CUDA"])
        gpu.enrich(from: Self.h200)
        #expect(gpu.computeBackends == ["CUDA"], "enriching twice lists CUDA once")
        var missed = GPUInfo(cuda: Self.h200)
        missed.enrich(from: Self.h200)
        #expect(missed.pciBusID == "0000:1b:00.0" && missed.vendorID == 0x10de && missed.cuda?.sharedMemoryPerBlockOptInBytes == 232_448)
    }
}
