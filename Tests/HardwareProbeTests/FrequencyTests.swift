import Foundation

@testable import HardwareProbe
@testable import MachineIdentity
import Testing

@Suite("CPU frequency")
struct FrequencyTests {
    @Test("cpufreq files give base, max, governor and driver (kHz to MHz)")
    func cpufreq() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cpufreq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, value) in ["base_frequency": "2100000\n", "cpuinfo_max_freq": "3900000\n",
                              "scaling_governor": "performance\n", "scaling_driver": "intel_pstate\n"] {
            try value.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let frequency = CPUFrequency.probe(sysfsCPU: directory.path, cpuKinds: [])
        #expect(frequency == CPUFrequency(baseMHz: 2100, maxMHz: 3900, governor: "performance", driver: "intel_pstate", source: "cpufreq"))
    }

    @Test("without cpufreq, hwloc's CPU kinds are used; without those, nothing is invented")
    func fallbacks() throws {
        let power8 = try HardwareProbe.probe(topologyFile: Fixtures.path("power8gpudistances.xml"))
        #expect(power8.frequency.maxMHz == 4023)
        #expect(power8.frequency.source == "hwloc cpukinds")
        let none = CPUFrequency.fromCPUKinds([])
        #expect(none == CPUFrequency(baseMHz: nil, maxMHz: nil, governor: nil, driver: nil, source: "none"))
    }
}
