import Foundation
import HardwareProbe
@testable import MachineIdentity
import Testing

/// What the fixtures' README states about each machine.
struct FixtureExpectation: CustomStringConvertible, Sendable {
    let file: String
    let packages: Int
    let numaNodes: Int
    let cores: Int
    let pus: Int
    /// "label size" → instances, e.g. "L3 20MB": 2.
    let caches: [String: Int]
    /// PCI display/3D controllers.
    let gpus: Int
    let cpuKinds: Int
    var description: String { file }
}

@Suite("hwloc XML fixtures")
struct FixtureTopologyTests {
    static let expectations: [FixtureExpectation] = [
        .init(file: "32em64t-2n8c2t-pci-normalio.xml", packages: 2, numaNodes: 2, cores: 16, pus: 32,
              caches: ["L3 20MB": 2, "L2 256KB": 16, "L1 32KB": 16], gpus: 5, cpuKinds: 0),
        .init(file: "28intel64-2p2g7c-CoDgroups.v1.xml", packages: 2, numaNodes: 4, cores: 28, pus: 28,
              caches: [:], gpus: 0, cpuKinds: 0),
        .init(file: "AMD-17h-Zen-2xEpyc-7451.xml", packages: 2, numaNodes: 8, cores: 48, pus: 96,
              caches: ["L3 8MB": 16, "L2 512KB": 48, "L1d 32KB": 48, "L1i 64KB": 48], gpus: 0, cpuKinds: 0),
        .init(file: "nvidia-dgx-gb10.xml", packages: 1, numaNodes: 1, cores: 20, pus: 20,
              caches: ["L3 8MB": 1, "L3 16MB": 1, "L2 2MB": 10, "L2 512KB": 10, "L1d 64KB": 20, "L1i 64KB": 20],
              gpus: 0, cpuKinds: 2),
        .init(file: "Intel-RaptorLake-Corei7-1370P.xml", packages: 1, numaNodes: 1, cores: 14, pus: 20,
              caches: ["L3 24MB": 1, "L2 1280KB": 6, "L2 2MB": 2, "L1d 48KB": 6, "L1d 32KB": 8,
                       "L1i 32KB": 6, "L1i 64KB": 8], gpus: 0, cpuKinds: 2),
        .init(file: "power8gpudistances.xml", packages: 2, numaNodes: 2, cores: 8, pus: 16,
              caches: ["L3 8MB": 8], gpus: 4, cpuKinds: 1),
        .init(file: "memorysidecaches.xml", packages: 2, numaNodes: 4, cores: 40, pus: 80,
              caches: ["L3 27.5MB": 2, "L2 1MB": 40, "MemCache 96GB": 4], gpus: 0, cpuKinds: 0),
        .init(file: "Intel-KnightsLanding-XeonPhi-7210.xml", packages: 1, numaNodes: 1, cores: 64, pus: 256,
              caches: ["L2 1MB": 32, "L1d 32KB": 64, "L1i 32KB": 64], gpus: 0, cpuKinds: 0),
        .init(file: "test-hwloc-annotate.input.xml", packages: 1, numaNodes: 1, cores: 2, pus: 4,
              caches: ["L3 4MB": 1, "L2 256KB": 2, "L1d 32KB": 2, "L1i 32KB": 2], gpus: 1, cpuKinds: 0),
        .init(file: "synthetic-2pack-4numa-64pu.xml", packages: 2, numaNodes: 4, cores: 32, pus: 64,
              caches: ["L3 16MB": 8, "L2 4MB": 32, "L1d 32KB": 32], gpus: 0, cpuKinds: 0),
        .init(file: "synthetic-1pack-8core-smt2.xml", packages: 1, numaNodes: 1, cores: 8, pus: 16,
              caches: ["L3 16MB": 1, "L2 4MB": 8, "L1d 32KB": 8], gpus: 0, cpuKinds: 0),
    ]

    @Test("every fixture loads with the counts its README states", arguments: expectations)
    func counts(_ expected: FixtureExpectation) throws {
        let profile = try HardwareProbe.probe(topologyFile: Fixtures.path(expected.file))
        let topology = profile.topology
        #expect(topology.packages == expected.packages)
        #expect(topology.numaNodes.count == expected.numaNodes)
        #expect(topology.cores == expected.cores)
        #expect(topology.pus == expected.pus)
        #expect(profile.gpus.count == expected.gpus)
        #expect(topology.cpuKinds.count == expected.cpuKinds)
        var caches: [String: Int] = [:]
        for cache in topology.caches { caches["\(cache.label) \(ByteCount.format(cache.sizeBytes))", default: 0] += cache.count }
        #expect(caches == expected.caches)
        #expect(profile.source == ProbeSource(kind: .hwlocXML, path: Fixtures.path(expected.file)))
        #expect(profile.counters.probed == false)
        #expect(profile.cpu.isaSource == "unknown")
    }

    @Test("an hwloc 3.0 export is read as 2.x: the same machine, the same fingerprint")
    func hwlocThree() throws {
        let original = Fixtures.path("Intel-RaptorLake-Corei7-1370P.xml")
        let text = try String(contentsOfFile: original, encoding: .utf8)
        #expect(text.contains("<topology version=\"2.0\">"))
        let newer = try Fixtures.temporaryFile("v3.xml", contents: text.replacingOccurrences(of: "<topology version=\"2.0\">", with: "<topology version=\"3.0\">"))
        let two = try HardwareProbe.probe(topologyFile: original)
        let three = try HardwareProbe.probe(topologyFile: newer)
        #expect(three.id == two.id && three.topology == two.topology)
    }

    @Test("an XML nested 100000 deep is refused before libhwloc sees it; real exports nest far less")
    func deepNesting() throws {
        let deep = try Fixtures.temporaryFile("deep.xml", contents: "<?xml version=\"1.0\"?><topology version=\"2.0\"><object type=\"Machine\">"
            + String(repeating: "<object type=\"Misc\">", count: 100_000) + String(repeating: "</object>", count: 100_000) + "</object></topology>")
        ProfileStoreTests.expectError(.topologyFileInvalid, mentioning: [deep, "elements nested 100002 deep"]) {
            _ = try HardwareProbe.probe(topologyFile: deep)
        }
        for name in Self.expectations.map(\.file) {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name))))
            #expect((4...40).contains(HwlocXMLInput.nestingDepth(bytes)), "\(name)")
        }
    }

    @Test("NUMA memory sizes come from the export, and are absent where it has none")
    func numaMemory() throws {
        let conan = try HardwareProbe.probe(topologyFile: Fixtures.path("32em64t-2n8c2t-pci-normalio.xml"))
        #expect(conan.topology.numaNodes.allSatisfy { ($0.memoryBytes ?? 0) > 30 << 30 })
        let zen = try HardwareProbe.probe(topologyFile: Fixtures.path("AMD-17h-Zen-2xEpyc-7451.xml"))
        #expect(zen.topology.numaNodes.allSatisfy { $0.memoryBytes == nil })
    }

    @Test("GPU osdevs of an export enrich the PCI devices")
    func gpuDetails() throws {
        let power8 = try HardwareProbe.probe(topologyFile: Fixtures.path("power8gpudistances.xml"))
        for gpu in power8.gpus {
            #expect(gpu.name == "Tesla P100-SXM2-16GB")
            #expect(gpu.vendorID == 0x10de)
            #expect(gpu.multiprocessors == 56)
            #expect(gpu.memoryBytes == 16_671_616 * 1024)
            #expect(Set(gpu.computeBackends) == ["CUDA", "NVML", "OpenCL"])
        }
        let conan = try HardwareProbe.probe(topologyFile: Fixtures.path("32em64t-2n8c2t-pci-normalio.xml"))
        let compute = conan.gpus.filter { !$0.computeBackends.isEmpty }
        #expect(compute.map(\.name) == ["Tesla K40m", "AMD Radeon R9 200 / HD 7900 Series"])
    }

    @Test("GPU placement: PCIe link, the package and NUMA node next to each GPU, NVLink bandwidth, UUIDs")
    func gpuPlacement() throws {
        let power8 = try HardwareProbe.probe(topologyFile: Fixtures.path("power8gpudistances.xml"))
        #expect(power8.gpus.count == 4)
        // Two P100s hang off each POWER8 package; each has two 40 GB/s NVLinks (hwloc: MB/s).
        #expect(power8.gpus.map { $0.placement?.packages ?? [] } == [[0], [0], [1], [1]])
        #expect(power8.gpus.map { $0.placement?.numaNodes ?? [] } == [[0], [0], [1], [1]])
        for gpu in power8.gpus {
            #expect(abs((gpu.placement?.pciLinkGBps ?? 0) - 15.753846) < 1e-4)
            #expect(gpu.placement?.nvlinkGBps == 80)
        }
        #expect(power8.gpus[0].uuid == "GPU-77bf6b9a-6906-5a93-d28b-b77d2c23d1d2")
        #expect(Set(power8.gpus.compactMap(\.uuid)).count == 4)
        // A machine without an NVLink matrix: placement from hwloc, no NVLink figure.
        let conan = try HardwareProbe.probe(topologyFile: Fixtures.path("32em64t-2n8c2t-pci-normalio.xml"))
        let k40 = try #require(conan.gpus.first { $0.name == "Tesla K40m" })
        #expect(k40.placement?.nvlinkGBps == nil)
        #expect(k40.placement?.numaNodes.count == 1)
        #expect(k40.placement?.packages.count == 1)
    }

    @Test("hybrid chips report their CPU kinds")
    func hybridKinds() throws {
        let raptor = try HardwareProbe.probe(topologyFile: Fixtures.path("Intel-RaptorLake-Corei7-1370P.xml"))
        #expect(Set(raptor.topology.cpuKinds.compactMap { $0.info["CoreType"] }) == ["IntelAtom", "IntelCore"])
        #expect(raptor.topology.cpuKinds.map(\.pus).sorted() == [8, 12])
        let spark = try HardwareProbe.probe(topologyFile: Fixtures.path("nvidia-dgx-gb10.xml"))
        #expect(spark.topology.cpuKinds.map(\.pus) == [10, 10])
        #expect(spark.system.architecture == "aarch64")
        #expect(spark.cpu.vendor == "Arm")
    }

    @Test("SMT width per core")
    func threadsPerCore() throws {
        let knl = try HardwareProbe.probe(topologyFile: Fixtures.path("Intel-KnightsLanding-XeonPhi-7210.xml"))
        #expect(knl.topology.threadsPerCore == 4)
        let haswell = try HardwareProbe.probe(topologyFile: Fixtures.path("28intel64-2p2g7c-CoDgroups.v1.xml"))
        #expect(haswell.topology.threadsPerCore == 1)
    }
}
