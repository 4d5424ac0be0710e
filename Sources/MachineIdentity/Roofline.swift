/// What the machine measurably does: peak FP32 FMA throughput and memory/cache bandwidth per
/// thread count. Measured by `tunebench roofline` (Measurement module), stored in the profile.
public struct Roofline: Codable, Equatable, Sendable {
    public var measuredAt: String
    /// The -march the measuring build used; a peak measured without FMA/AVX is not the machine's.
    public var buildMarch: String
    /// The SIMD width of the FMA micro-benchmark in bits (256 for AVX2, 512 for AVX-512).
    public var vectorBits: Int
    /// How the memory buffers compare with the last-level cache: bytes per array.
    public var streamArrayBytes: UInt64
    public var points: [RooflinePoint]

    public init(measuredAt: String, buildMarch: String, vectorBits: Int, streamArrayBytes: UInt64, points: [RooflinePoint]) {
        self.measuredAt = measuredAt
        self.buildMarch = buildMarch
        self.vectorBits = vectorBits
        self.streamArrayBytes = streamArrayBytes
        self.points = points
    }

    /// The figures at `threads`, or at the largest thread count measured below it.
    public func point(threads: Int) -> RooflinePoint? {
        points.filter { $0.threads <= threads }.max { $0.threads < $1.threads } ?? points.first
    }
}

public struct RooflinePoint: Codable, Equatable, Sendable {
    public var threads: Int
    /// Peak FP32 FMA throughput, GFLOP/s (one FMA = 2 FLOP).
    public var peakGFLOPS: Double
    /// STREAM-style copy, a[i] = b[i], counting 8 bytes per element (no write-allocate traffic).
    public var copyGBps: Double
    /// STREAM-style triad, a[i] = b[i] + s*c[i], counting 12 bytes per element.
    public var triadGBps: Double
    /// Read bandwidth with each thread's buffer sized to fit its share of each cache level.
    public var cacheRead: [CacheReadBandwidth]

    public init(threads: Int, peakGFLOPS: Double, copyGBps: Double, triadGBps: Double, cacheRead: [CacheReadBandwidth]) {
        self.threads = threads
        self.peakGFLOPS = peakGFLOPS
        self.copyGBps = copyGBps
        self.triadGBps = triadGBps
        self.cacheRead = cacheRead
    }
}

public struct CacheReadBandwidth: Codable, Equatable, Sendable {
    /// "L1d", "L2", "L3" or "DRAM".
    public var level: String
    /// Bytes each thread reads per pass.
    public var bytesPerThread: UInt64
    public var GBps: Double

    public init(level: String, bytesPerThread: UInt64, GBps: Double) {
        self.level = level
        self.bytesPerThread = bytesPerThread
        self.GBps = GBps
    }
}
