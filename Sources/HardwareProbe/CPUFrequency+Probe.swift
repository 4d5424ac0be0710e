import Foundation
import MachineIdentity

extension CPUFrequency {
    /// Base and maximum frequency and the scaling governor, from the first source that tells:
    /// cpufreq in sysfs, then cpuid leaf 0x16 (Intel), then hwloc's CPU kinds.
    static func probe(sysfsCPU: String = "/sys/devices/system/cpu/cpu0/cpufreq", cpuKinds: [CPUKind]) -> CPUFrequency {
        func read(_ name: String) -> String? {
            (try? String(contentsOfFile: "\(sysfsCPU)/\(name)", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let governor = read("scaling_governor")
        let driver = read("scaling_driver")
        let kHz = { (name: String) in read(name).flatMap(Double.init).map { $0 / 1000 } }
        let sysfsBase = kHz("base_frequency")
        let sysfsMax = kHz("cpuinfo_max_freq")
        if sysfsBase != nil || sysfsMax != nil {
            return CPUFrequency(baseMHz: sysfsBase, maxMHz: sysfsMax, governor: governor, driver: driver, source: "cpufreq")
        }
        if let leaf0 = CPUID.query(0), leaf0.eax >= 0x16, let leaf16 = CPUID.query(0x16), leaf16.eax > 0 {
            return CPUFrequency(
                baseMHz: Double(leaf16.eax & 0xffff), maxMHz: Double(leaf16.ebx & 0xffff),
                governor: governor, driver: driver, source: "cpuid leaf 0x16"
            )
        }
        return fromCPUKinds(cpuKinds, governor: governor, driver: driver)
    }
}
