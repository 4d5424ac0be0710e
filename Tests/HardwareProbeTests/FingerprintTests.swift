import Foundation
import HardwareProbe
import Testing

@Suite("fingerprint")
struct FingerprintTests {
    static func fixture() throws -> HardwareProfile {
        try HardwareProbe.probe(topologyFile: Fixtures.path("AMD-17h-Zen-2xEpyc-7451.xml"))
    }

    @Test("the same machine loaded twice has one id")
    func stable() throws {
        #expect(try Self.fixture().id == Self.fixture().id)
    }

    @Test("the stored id is the fingerprint of the stored identity")
    func recomputable() throws {
        let profile = try Self.fixture()
        #expect(Fingerprint.compute(profile) == profile.id)
    }

    @Test("one different cache size gives a different id")
    func cacheSizeChangesID() throws {
        var profile = try Self.fixture()
        let original = Fingerprint.compute(profile)
        let index = try #require(profile.topology.caches.firstIndex { $0.label == "L2" })
        profile.topology.caches[index].sizeBytes *= 2
        #expect(Fingerprint.compute(profile) != original)
    }

    @Test("ISA, core count and GPU model change the id")
    func identityChangesID() throws {
        let base = try Self.fixture()
        var isa = base
        isa.cpu.isa.append("avx512f")
        var cores = base
        cores.topology.cores -= 1
        var gpu = base
        gpu.gpus.append(GPUInfo(vendor: "NVIDIA", vendorID: 0x10de, deviceID: 0x2330, pciClass: 0x0302, pciBusID: "0000:01:00.0", name: "H100"))
        for changed in [isa, cores, gpu] {
            #expect(Fingerprint.compute(changed) != base.id)
        }
    }

    @Test("memory size, clocks, kernel, hostname-like and software fields do not change the id")
    func volatileFieldsIgnored() throws {
        var profile = try Self.fixture()
        profile.topology.numaNodes[0].memoryBytes = 12_345 << 20
        profile.frequency.maxMHz = 9999
        profile.system.kernelRelease = "9.9.9"
        profile.system.osName = "Another OS"
        profile.software.compiler = "Swift 9"
        profile.probedAt = "2000-01-01T00:00:00Z"
        profile.roofline = Roofline(measuredAt: "now", buildMarch: "native", vectorBits: 256, streamArrayBytes: 1, points: [])
        #expect(Fingerprint.compute(profile) == profile.id)
    }
}

@Suite("GPU fingerprint rules")
struct GPUFingerprintTests {
    static func h200() -> GPUInfo {
        var gpu = GPUInfo(vendor: "NVIDIA", vendorID: 0x10de, deviceID: 0x2335, pciClass: 0x0302, pciBusID: "0000:1b:00.0",
                          name: "NVIDIA H200", memoryBytes: 150_754_820_096, computeCapability: "9.0", multiprocessors: 132,
                          driverVersion: "550.54.15")
        gpu.cuda = CUDADetails(cudaVersion: "12.4", clockMHz: 1980, memoryClockMHz: 3201, memoryBusWidthBits: 6144,
                               l2CacheBytes: 62_914_560, sharedMemoryPerBlockBytes: 49152, sharedMemoryPerBlockOptInBytes: 232_448,
                               sharedMemoryPerSMBytes: 233_472, registersPerBlock: 65536, registersPerSM: 65536,
                               maxThreadsPerBlock: 1024, maxThreadsPerSM: 2048, warpSize: 32)
        return gpu
    }

    @Test("clocks, driver, CUDA version and the measured roofline leave the id; SMs, capability and memory change it")
    func gpuFields() throws {
        var base = try FingerprintTests.fixture()
        base.gpus = [Self.h200()]
        let id = Fingerprint.compute(base)
        var volatile = base
        volatile.gpus[0].driverVersion = "560.1"
        volatile.gpus[0].cuda?.clockMHz = 1200
        volatile.gpus[0].cuda?.memoryClockMHz = 1000
        volatile.gpus[0].cuda?.cudaVersion = "12.6"
        volatile.gpus[0].uuid = "GPU-00000000-0000-0000-0000-000000000000"
        volatile.gpus[0].roofline = GPURoofline(copyGBps: 4000, triadGBps: 4100, fp32GFLOPs: 60000, fp16TensorGFLOPs: 500_000,
                                                bf16TensorGFLOPs: 500_000, measuredAt: "now")
        #expect(Fingerprint.compute(volatile) == id)
        var mig = base
        mig.gpus[0].multiprocessors = 16  // a MIG slice: another machine to tune for
        var capability = base
        capability.gpus[0].computeCapability = "8.0"
        var memory = base
        memory.gpus[0].memoryBytes = 80 << 30
        for changed in [mig, capability, memory] { #expect(Fingerprint.compute(changed) != id) }
        // The GPU order does not matter.
        var two = base
        two.gpus.append(GPUInfo(vendor: nil, vendorID: 0x10de, deviceID: 0x20b0, pciClass: 0x0302, pciBusID: "0000:2b:00.0", name: nil))
        var swapped = two
        swapped.gpus.reverse()
        #expect(Fingerprint.compute(two) == Fingerprint.compute(swapped))
    }

    @Test("a profile written before the CUDA fields reads back with them absent")
    func olderProfileGPU() throws {
        let json = #"{"vendor":"NVIDIA","vendorID":4318,"deviceID":5625,"pciClass":770,"pciBusID":"0002:01:00.0","name":"Tesla P100","computeBackends":["CUDA"]}"#
        let gpu = try JSONDecoder().decode(GPUInfo.self, from: Data(json.utf8))
        #expect(gpu.cuda == nil && gpu.placement == nil && gpu.roofline == nil && gpu.uuid == nil)
        #expect(gpu.fingerprintText == "10de:15f9")
        let h200 = Self.h200()
        let roundTrip = try JSONDecoder().decode(GPUInfo.self, from: JSONEncoder().encode(h200))
        #expect(roundTrip == h200)
        #expect(h200.fingerprintText == "10de:2335 cc=9.0 sms=132 mem=140.0GiB")
    }
}
