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
