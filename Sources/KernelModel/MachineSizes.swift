/// What a kernel's parameter space needs to know of the machine: cache sizes for the blocking
/// constraints and the analytical defaults, the core count for the thread range, and the fp32
/// lanes of the widest vectors the CPU has (8: AVX2 and below; 16: AVX-512) for the default
/// register tile. Built from a hardware profile by the caller; Kernels does not probe.
public struct MachineSizes: Codable, Hashable, Sendable {
    public var l1dBytes: Int
    public var l2Bytes: Int
    public var l3Bytes: Int
    public var cores: Int
    public var vectorLanes: Int

    public init(l1dBytes: Int, l2Bytes: Int, l3Bytes: Int, cores: Int, vectorLanes: Int = 8) {
        self.l1dBytes = l1dBytes
        self.l2Bytes = l2Bytes
        self.l3Bytes = l3Bytes
        self.cores = cores
        self.vectorLanes = vectorLanes
    }

    private enum CodingKeys: String, CodingKey {
        case l1dBytes, l2Bytes, l3Bytes, cores, vectorLanes
    }

    /// Sizes written before `vectorLanes` existed read as 8 lanes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(l1dBytes: try container.decode(Int.self, forKey: .l1dBytes), l2Bytes: try container.decode(Int.self, forKey: .l2Bytes),
                  l3Bytes: try container.decode(Int.self, forKey: .l3Bytes), cores: try container.decode(Int.self, forKey: .cores),
                  vectorLanes: try container.decodeIfPresent(Int.self, forKey: .vectorLanes) ?? 8)
    }

    /// These sizes with at most `lanes` vector lanes (the tiles a process can run).
    public func capped(vectorLanes lanes: Int) -> MachineSizes {
        var sizes = self
        sizes.vectorLanes = min(vectorLanes, lanes)
        return sizes
    }

    /// A typical current x86 core (32 KiB L1d, 512 KiB L2, 32 MiB L3), for tests.
    public static let typical = MachineSizes(l1dBytes: 32 << 10, l2Bytes: 512 << 10, l3Bytes: 32 << 20, cores: 2)
}
