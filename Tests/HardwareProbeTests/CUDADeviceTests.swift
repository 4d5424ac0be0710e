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

    /// Two MIG instances of one GPU, as CUDA lists them under MIG mode: the same PCI address,
    /// their own UUIDs, SMs and memory.
    static func instance(_ ordinal: Int, uuid: String, bus: String, sms: Int, gib: UInt64) -> CUDADeviceProperties {
        CUDADeviceProperties(ordinal: ordinal, name: "NVIDIA H200", uuid: uuid, pciBusID: bus, computeCapabilityMajor: 9,
                             computeCapabilityMinor: 0, multiprocessors: sms, memoryBytes: gib << 30, details: details)
    }

    @Test("MIG instances: one GPU each at the parent's PCI address and placement, UUIDs written MIG-…, each slice its own fingerprint")
    func migInstances() throws {
        let power8 = try HardwareProbe.probe(topologyFile: Fixtures.path("power8gpudistances.xml"))
        let (first, second) = (power8.gpus[0], power8.gpus[1])
        let devices = [
            Self.instance(0, uuid: "GPU-11111111-2222-3333-4444-555555555555", bus: first.pciBusID, sms: 16, gib: 18),
            Self.instance(1, uuid: "GPU-66666666-7777-8888-9999-000000000000", bus: first.pciBusID, sms: 32, gib: 35),
            Self.instance(2, uuid: "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", bus: second.pciBusID, sms: 132, gib: 141),
        ]
        var gpus = power8.gpus
        HardwareProbe.addCUDADevices(devices, to: &gpus, migBuses: [first.pciBusID])
        // The MIG GPU is two entries (hwloc's, then a copy appended), the other GPU one.
        #expect(gpus.count == power8.gpus.count + 1)
        let slices = gpus.filter { $0.pciBusID == first.pciBusID }
        #expect(slices.map(\.uuid) == ["MIG-11111111-2222-3333-4444-555555555555", "MIG-66666666-7777-8888-9999-000000000000"])
        #expect(slices.map(\.multiprocessors) == [16, 32] && slices.map(\.memoryBytes) == [18 << 30, 35 << 30])
        #expect(slices.allSatisfy { $0.placement == first.placement && $0.placement != nil && $0.cuda == Self.details })
        #expect(Set(slices.map(\.fingerprintText)).count == 2, "a slice of another size is another machine")
        // Not in MIG mode: the driver's UUID as it was, one entry.
        let whole = try #require(gpus.first { $0.pciBusID == second.pciBusID })
        #expect(whole.uuid == "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" && gpus.filter { $0.pciBusID == second.pciBusID }.count == 1)
        // A device hwloc did not see (no PCI access in a container) is appended, under MIG too.
        var none: [GPUInfo] = []
        HardwareProbe.addCUDADevices(Array(devices.prefix(2)), to: &none, migBuses: [first.pciBusID])
        #expect(none.map(\.uuid) == ["MIG-11111111-2222-3333-4444-555555555555", "MIG-66666666-7777-8888-9999-000000000000"])
    }
}
