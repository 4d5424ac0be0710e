import KernelModel

extension MachineSizes {
    /// The cache sizes a kernel's blocking needs, from a profile: the smallest L1d and L2 (the
    /// safe choice on hybrid chips), the L3 one core sees, the core count, and 16 vector lanes
    /// where the CPU has AVX-512F (else 8).
    public init(profile: HardwareProfile) {
        let caches = profile.topology.caches
        func smallest(_ level: Int) -> Int? {
            caches.filter { $0.level == level && ($0.type == .data || $0.type == .unified) }.map { Int($0.sizeBytes) }.min()
        }
        let typical = MachineSizes.typical
        self.init(
            l1dBytes: smallest(1) ?? typical.l1dBytes,
            l2Bytes: smallest(2) ?? typical.l2Bytes,
            l3Bytes: smallest(3) ?? smallest(2) ?? typical.l3Bytes,
            cores: max(1, profile.topology.cores),
            vectorLanes: profile.cpu.has("avx512f") ? 16 : 8
        )
    }
}
