/// What a kernel's parameter space needs to know of the machine: cache sizes for the blocking
/// constraints and the analytical defaults, and the core count for the thread range.
/// Built from a hardware profile by the caller; Kernels does not probe.
public struct MachineSizes: Codable, Hashable, Sendable {
    public var l1dBytes: Int
    public var l2Bytes: Int
    public var l3Bytes: Int
    public var cores: Int

    public init(l1dBytes: Int, l2Bytes: Int, l3Bytes: Int, cores: Int) {
        self.l1dBytes = l1dBytes
        self.l2Bytes = l2Bytes
        self.l3Bytes = l3Bytes
        self.cores = cores
    }

    /// A typical current x86 core (32 KiB L1d, 512 KiB L2, 32 MiB L3), for tests.
    public static let typical = MachineSizes(l1dBytes: 32 << 10, l2Bytes: 512 << 10, l3Bytes: 32 << 20, cores: 2)
}
