extension CPUFrequency {
    /// What hwloc's CPU kinds say (FrequencyBaseMHz, FrequencyMaxMHz): the highest of the kinds.
    public static func fromCPUKinds(_ kinds: [CPUKind], governor: String? = nil, driver: String? = nil) -> CPUFrequency {
        let base = kinds.compactMap { $0.info["FrequencyBaseMHz"].flatMap(Double.init) }.max()
        let top = kinds.compactMap { $0.info["FrequencyMaxMHz"].flatMap(Double.init) }.max()
        let source = base != nil || top != nil ? "hwloc cpukinds" : "none"
        return CPUFrequency(baseMHz: base, maxMHz: top, governor: governor, driver: driver, source: source)
    }
}
