
/// Everything tunebench knows about one machine: identity, topology, ISA, GPUs, counters and the
/// measured roofline. Stored as `profiles/<id>.json`; the schema is documented in
/// docs/profile-schema.md and versioned by `schemaVersion`.
public struct HardwareProfile: Codable, Equatable, Sendable {
    /// The schema this build writes and reads. Bump it, and add a migration, on any change that an
    /// older reader would misread.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    /// The fingerprint (see `Fingerprint`): stable for one machine, different for different hardware.
    public var id: String
    /// A human name, e.g. "AMD EPYC, 2 cores".
    public var name: String
    /// When the probe ran (ISO 8601, UTC).
    public var probedAt: String
    /// Where the topology came from: the live machine or an hwloc XML file.
    public var source: ProbeSource
    public var cpu: CPUIdentity
    public var topology: TopologyInfo
    public var frequency: CPUFrequency
    public var gpus: [GPUInfo]
    public var system: SystemInfo
    public var software: SoftwareInfo
    public var counters: CounterInventory
    /// Filled by `tunebench probe --measure` or `tunebench roofline`; nil until measured.
    public var roofline: Roofline?

    public init(
        id: String, name: String, probedAt: String, source: ProbeSource, cpu: CPUIdentity,
        topology: TopologyInfo, frequency: CPUFrequency, gpus: [GPUInfo], system: SystemInfo,
        software: SoftwareInfo, counters: CounterInventory, roofline: Roofline? = nil
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.id = id
        self.name = name
        self.probedAt = probedAt
        self.source = source
        self.cpu = cpu
        self.topology = topology
        self.frequency = frequency
        self.gpus = gpus
        self.system = system
        self.software = software
        self.counters = counters
        self.roofline = roofline
    }
}

public struct ProbeSource: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case live, hwlocXML = "hwloc-xml" }
    public var kind: Kind
    /// The XML file, for `hwlocXML`.
    public var path: String?

    public init(kind: Kind, path: String? = nil) {
        self.kind = kind
        self.path = path
    }
}

public struct SystemInfo: Codable, Equatable, Sendable {
    /// e.g. "Debian GNU/Linux 12 (bookworm)"; nil when unknown.
    public var osName: String?
    /// The kernel release, e.g. "6.1.0-18-amd64".
    public var kernelRelease: String?
    /// e.g. "x86_64", "aarch64".
    public var architecture: String

    public init(osName: String?, kernelRelease: String?, architecture: String) {
        self.osName = osName
        self.kernelRelease = kernelRelease
        self.architecture = architecture
    }
}

/// The software that produced the profile. Recorded beside the fingerprint, never part of it, so
/// records can be invalidated when the kernels change without the machine changing identity.
public struct SoftwareInfo: Codable, Equatable, Sendable {
    public var tunebenchVersion: String
    /// e.g. "Swift 6.3.1".
    public var compiler: String
    /// The -march the hot code was built for (TUNEBENCH_MARCH), e.g. "native", "x86-64-v3".
    public var buildMarch: String
    /// The ISA extensions that build may use, e.g. ["avx", "avx2", "fma", "f16c", "sse4.2"].
    public var buildISA: [String]
    /// The x86-64 micro-architecture level of the build ("x86-64-v3"), or the architecture name.
    public var buildISALevel: String
    public var hwlocVersion: String
    public var papiVersion: String?

    public init(
        tunebenchVersion: String, compiler: String, buildMarch: String, buildISA: [String],
        buildISALevel: String, hwlocVersion: String, papiVersion: String?
    ) {
        self.tunebenchVersion = tunebenchVersion
        self.compiler = compiler
        self.buildMarch = buildMarch
        self.buildISA = buildISA
        self.buildISALevel = buildISALevel
        self.hwlocVersion = hwlocVersion
        self.papiVersion = papiVersion
    }
}
