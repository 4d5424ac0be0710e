/// Who made the CPU, which model it is, and which instruction-set extensions it (and the OS) can run.
public struct CPUIdentity: Codable, Equatable, Sendable {
    /// e.g. "AuthenticAMD", "GenuineIntel", "ARM".
    public var vendor: String?
    /// e.g. "AMD EPYC 7B13".
    public var modelName: String?
    public var family: Int?
    public var model: Int?
    public var stepping: Int?
    /// Usable ISA extensions in tunebench's names (see `ISAFeature`), sorted.
    public var isa: [String]
    /// Where `isa` came from: "cpuid", "hwcap", "proc-cpuinfo", or "unknown" (an XML topology
    /// says nothing about the ISA).
    public var isaSource: String

    public init(
        vendor: String?, modelName: String?, family: Int?, model: Int?, stepping: Int?,
        isa: [String], isaSource: String
    ) {
        self.vendor = vendor
        self.modelName = modelName
        self.family = family
        self.model = model
        self.stepping = stepping
        self.isa = isa.sorted()
        self.isaSource = isaSource
    }

    public func has(_ feature: String) -> Bool { isa.contains(feature) }
}

public struct CPUFrequency: Codable, Equatable, Sendable {
    public var baseMHz: Double?
    public var maxMHz: Double?
    /// The cpufreq scaling governor, e.g. "performance", "schedutil"; nil when no cpufreq driver.
    public var governor: String?
    /// The cpufreq driver, e.g. "acpi-cpufreq", "intel_pstate".
    public var driver: String?
    /// Where the figures came from, e.g. "cpufreq", "cpuid leaf 0x16", "hwloc cpukinds", "none".
    public var source: String

    public init(baseMHz: Double?, maxMHz: Double?, governor: String?, driver: String?, source: String) {
        self.baseMHz = baseMHz
        self.maxMHz = maxMHz
        self.governor = governor
        self.driver = driver
        self.source = source
    }
}
