/// Which performance counters really work on this machine, and which backend tunebench will
/// measure with. "Really" means an event was added to an event set and started: on KVM guests
/// without a virtual PMU, `PAPI_query_event` says yes for events that then fail to start.
public struct CounterInventory: Codable, Equatable, Sendable {
    /// The best source of counts that works here, in the fallback order of docs/DESIGN.md.
    public enum Backend: String, Codable, Sendable {
        /// PAPI with hardware events (cycles, instructions, cache misses …).
        case papiHardware = "papi-hardware"
        /// PAPI's perf_event software events only (task clock, page faults, context switches).
        case papiSoftware = "papi-software"
        /// No PAPI event works: wall and CPU clocks only.
        case clock
    }

    public struct Component: Codable, Equatable, Sendable {
        public var name: String
        public var description: String
        public var enabled: Bool
        /// Why PAPI disabled it, e.g. "librocm_smi64.so not found."
        public var disabledReason: String?

        public init(name: String, description: String, enabled: Bool, disabledReason: String?) {
            self.name = name
            self.description = description
            self.enabled = enabled
            self.disabledReason = disabledReason
        }
    }

    /// PAPI's version, e.g. "7.0.0.0"; nil when PAPI did not initialize.
    public var papiVersion: String?
    /// Why PAPI could not be used at all, when it could not.
    public var papiError: String?
    public var components: [Component]
    /// Presets and native events counting hardware (cycles, instructions, caches …) that add and start.
    public var hardwareEvents: [String]
    /// Software events (perf_event software counters) that add and start.
    public var softwareEvents: [String]
    /// Events PAPI lists that could not be added or started here.
    public var unusableEventCount: Int
    public var backend: Backend
    /// False in profiles of other machines (made from an hwloc XML export): nothing was tried.
    public var probed: Bool

    public init(
        papiVersion: String?, papiError: String?, components: [Component], hardwareEvents: [String],
        softwareEvents: [String], unusableEventCount: Int, probed: Bool = true
    ) {
        self.probed = probed
        self.papiVersion = papiVersion
        self.papiError = papiError
        self.components = components
        self.hardwareEvents = hardwareEvents
        self.softwareEvents = softwareEvents
        self.unusableEventCount = unusableEventCount
        if !hardwareEvents.isEmpty {
            backend = .papiHardware
        } else if !softwareEvents.isEmpty {
            backend = .papiSoftware
        } else {
            backend = .clock
        }
    }

    public var hasHardwareCounters: Bool { !hardwareEvents.isEmpty }

    /// One line for people: what works and what measurements will use.
    public var summary: String {
        if !probed { return "not probed (the profile describes another machine, from an hwloc XML export)" }
        if let papiError { return "PAPI unusable (\(papiError)); measuring with clocks only" }
        switch backend {
        case .papiHardware:
            return "hardware counters available: \(hardwareEvents.count) hardware and \(softwareEvents.count) software events usable"
        case .papiSoftware:
            return "no hardware counters (no CPU PMU exposed); backend papi-software: \(softwareEvents.count) software events usable"
        case .clock:
            return "no PAPI event can be started; measuring with clocks only"
        }
    }

    /// An inventory for a profile that did not probe counters (e.g. one made from an XML topology).
    public static let notProbed = CounterInventory(
        papiVersion: nil, papiError: nil, components: [], hardwareEvents: [], softwareEvents: [],
        unusableEventCount: 0, probed: false
    )
}
