/// The Linux perf_event software events as PAPI names them ("perf::TASK-CLOCK",
/// "perf::PERF_COUNT_SW_PAGE_FAULTS"): they count in the kernel, with or without a CPU PMU.
enum SoftwareEvents {
    static let aliases: Set<String> = [
        "CPU-CLOCK", "TASK-CLOCK", "PAGE-FAULTS", "FAULTS", "CONTEXT-SWITCHES", "CS",
        "CPU-MIGRATIONS", "MIGRATIONS", "MINOR-FAULTS", "MAJOR-FAULTS", "ALIGNMENT-FAULTS",
        "EMULATION-FAULTS", "DUMMY", "BPF-OUTPUT", "CGROUP-SWITCHES",
    ]

    static func isSoftware(_ name: String) -> Bool {
        guard name.hasPrefix("perf::") else { return false }
        let event = name.dropFirst("perf::".count).split(separator: ":").first.map(String.init) ?? ""
        return event.hasPrefix("PERF_COUNT_SW_") || aliases.contains(event)
    }
}
