/// The machine's topology as hwloc reports it: counts, caches, NUMA nodes, CPU kinds, and the
/// object tree that `tunebench probe` prints the way lstopo does.
public struct TopologyInfo: Codable, Equatable, Sendable {
    public var packages: Int
    public var cores: Int
    public var pus: Int
    /// The most hardware threads any core has (1: no SMT).
    public var threadsPerCore: Int
    public var numaNodes: [NUMANode]
    /// Each distinct kind of cache, with how many instances of it there are.
    public var caches: [CacheInfo]
    /// More than one entry on hybrid chips (P-cores and E-cores, big.LITTLE).
    public var cpuKinds: [CPUKind]
    public var tree: TopologyNode

    public init(
        packages: Int, cores: Int, pus: Int, threadsPerCore: Int, numaNodes: [NUMANode],
        caches: [CacheInfo], cpuKinds: [CPUKind], tree: TopologyNode
    ) {
        self.packages = packages
        self.cores = cores
        self.pus = pus
        self.threadsPerCore = threadsPerCore
        self.numaNodes = numaNodes
        self.caches = caches
        self.cpuKinds = cpuKinds
        self.tree = tree
    }

    /// Total instances of caches at `level` of a CPU-side kind (data or unified).
    public func cacheInstances(level: Int) -> Int {
        caches.filter { $0.level == level && $0.type != .instruction && $0.type != .memorySide }
            .reduce(0) { $0 + $1.count }
    }
}

public struct NUMANode: Codable, Equatable, Sendable {
    public var osIndex: Int
    /// Local memory; nil when the source does not say (exports made from cpuid dumps).
    public var memoryBytes: UInt64?
    public var pus: Int

    public init(osIndex: Int, memoryBytes: UInt64?, pus: Int) {
        self.osIndex = osIndex
        self.memoryBytes = memoryBytes
        self.pus = pus
    }
}

public struct CacheInfo: Codable, Equatable, Hashable, Sendable {
    public enum CacheType: String, Codable, Sendable, Hashable {
        case data, instruction, unified
        /// A memory-side cache (e.g. DRAM in front of persistent memory), not a CPU cache.
        case memorySide = "memory-side"
    }

    public var level: Int
    public var type: CacheType
    public var sizeBytes: UInt64
    public var lineBytes: Int?
    /// Ways; nil when unknown, -1 when fully associative.
    public var associativity: Int?
    /// How many PUs share one instance.
    public var sharedByPUs: Int
    /// How many instances of this exact cache the machine has.
    public var count: Int

    public init(
        level: Int, type: CacheType, sizeBytes: UInt64, lineBytes: Int?, associativity: Int?,
        sharedByPUs: Int, count: Int
    ) {
        self.level = level
        self.type = type
        self.sizeBytes = sizeBytes
        self.lineBytes = lineBytes
        self.associativity = associativity
        self.sharedByPUs = sharedByPUs
        self.count = count
    }

    /// "L2", "L1d", "L1i", "MemCache".
    public var label: String {
        switch type {
        case .data: "L\(level)d"
        case .instruction: "L\(level)i"
        case .unified: "L\(level)"
        case .memorySide: "MemCache"
        }
    }
}

/// One kind of core on a hybrid chip; hwloc ranks kinds by efficiency (0 = most efficient).
public struct CPUKind: Codable, Equatable, Sendable {
    public var efficiency: Int
    public var pus: Int
    /// hwloc's description, e.g. ["CoreType": "IntelAtom"], ["FrequencyMaxMHz": "4023"].
    public var info: [String: String]

    public init(efficiency: Int, pus: Int, info: [String: String]) {
        self.efficiency = efficiency
        self.pus = pus
        self.info = info
    }
}

/// One object of the hwloc tree: Machine, Package, Group, NUMANode, caches, Core, PU.
public struct TopologyNode: Codable, Equatable, Sendable {
    /// hwloc's type name, e.g. "Package", "L2", "Core", "PU", "NUMANode".
    public var type: String
    /// The OS index for PUs, cores, packages and NUMA nodes; nil where hwloc has none.
    public var osIndex: Int?
    /// A short attribute text, e.g. "512KB" for a cache or "32GB" for a NUMA node.
    public var detail: String?
    public var children: [TopologyNode]

    public init(type: String, osIndex: Int?, detail: String?, children: [TopologyNode]) {
        self.type = type
        self.osIndex = osIndex
        self.detail = detail
        self.children = children
    }
}
