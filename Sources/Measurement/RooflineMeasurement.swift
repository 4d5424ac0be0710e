import Foundation
import HardwareProbe
import Kernels

/// Measures the roofline of the live machine: peak FP32 FMA GFLOP/s, STREAM copy and triad
/// bandwidth over arrays far larger than the last-level cache, and read bandwidth per cache
/// level, for each requested thread count, threads pinned one per core through hwloc.
public struct RooflineMeasurement: Sendable {
    public struct Options: Sendable {
        /// Thread counts to measure; default `defaultThreadCounts(cores:)`.
        public var threadCounts: [Int]
        /// Repetitions per figure; the best is kept, as STREAM and peak-FLOP tools report.
        public var repetitions: Int
        /// Seconds one repetition of a compute or cache benchmark should last.
        public var secondsPerRepetition: Double

        public init(threadCounts: [Int], repetitions: Int = 5, secondsPerRepetition: Double = 0.2) {
            self.threadCounts = threadCounts
            self.repetitions = repetitions
            self.secondsPerRepetition = secondsPerRepetition
        }
    }

    public let topology: HwlocTopology
    public let info: TopologyInfo
    let team: PinnedThreadTeam

    public init(topology: HwlocTopology) {
        self.topology = topology
        self.info = topology.topologyInfo()
        self.team = PinnedThreadTeam(topology: topology)
    }

    /// 1...cores when there are at most 8 cores; otherwise powers of two and the core count.
    public static func defaultThreadCounts(cores: Int) -> [Int] {
        guard cores > 8 else { return Array(1...max(1, cores)) }
        var counts: [Int] = []
        var n = 1
        while n < cores { counts.append(n); n *= 2 }
        return counts + [cores]
    }

    /// Bytes per STREAM array: at least 4x all last-level cache on the machine (the STREAM
    /// rule), at least 64 MiB, at most 1 GiB, a multiple of 4 KiB.
    public var streamArrayBytes: UInt64 {
        let cpuCaches = info.caches.filter { $0.type != .instruction && $0.type != .memorySide }
        let lastLevel = cpuCaches.map(\.level).max() ?? 0
        let llcBytes = cpuCaches.filter { $0.level == lastLevel }.reduce(UInt64(0)) { $0 + $1.sizeBytes * UInt64($1.count) }
        let bytes = min(max(4 * llcBytes, 64 << 20), 1 << 30)
        return bytes / 4096 * 4096
    }

    /// The vector width of the FMA benchmark: 512 bits when this build may use AVX-512.
    public static var vectorBits: Int {
        #if arch(x86_64)
        // The C shim sees the same -march as this target; AVX-512F in the build means 16 lanes.
        return KernelLibrary.buildISA.contains("avx512f") ? 512 : 256
        #else
        return 256
        #endif
    }

    public func measure(_ options: Options, progress: (String) -> Void = { _ in }) -> Roofline {
        var points: [RooflinePoint] = []
        for threads in options.threadCounts {
            progress("roofline: \(threads) thread\(threads == 1 ? "" : "s"): FMA peak")
            let peak = fmaPeak(threads: threads, options)
            progress("roofline: \(threads) thread\(threads == 1 ? "" : "s"): memory bandwidth")
            let (copy, triad) = streamBandwidth(threads: threads, options)
            progress("roofline: \(threads) thread\(threads == 1 ? "" : "s"): cache read bandwidth")
            let reads = cacheReadBandwidth(threads: threads, options)
            points.append(RooflinePoint(threads: threads, peakGFLOPS: peak, copyGBps: copy, triadGBps: triad, cacheRead: reads))
        }
        return Roofline(
            measuredAt: ISO8601DateFormatter().string(from: Date()),
            buildMarch: KernelLibrary.buildMarch, vectorBits: Self.vectorBits,
            streamArrayBytes: streamArrayBytes, points: points
        )
    }

    // MARK: - FMA peak

    public func fmaPeak(threads: Int, _ options: Options) -> Double {
        let wide = Self.vectorBits == 512
        let flopPerIteration = Double(wide ? 384 : 192)
        let kernel: @Sendable (Int) -> Float
        if wide {
            kernel = { iterations in fmaChains(SIMD16<Float>.self, iterations: iterations, seed: 1) }
        } else {
            kernel = { iterations in fmaChains(SIMD8<Float>.self, iterations: iterations, seed: 1) }
        }
        let sink = Sink(count: threads)
        // Calibrate on one thread: iterations for the requested seconds.
        let probe = 1 << 20
        let probeSeconds = team.run(threads: 1) { sink.store(kernel(probe), at: $0) }
        let iterations = max(probe, Int(Double(probe) * options.secondsPerRepetition / max(probeSeconds, 1e-6)))
        var best = 0.0
        for _ in 0..<options.repetitions {
            let seconds = team.run(threads: threads) { sink.store(kernel(iterations), at: $0) }
            best = max(best, flopPerIteration * Double(iterations) * Double(threads) / seconds / 1e9)
        }
        return best
    }

    // MARK: - Memory bandwidth

    /// Best copy and triad GB/s. Each thread first-touches its own slices, so pages land on
    /// its NUMA node, as in STREAM with OpenMP.
    public func streamBandwidth(threads: Int, _ options: Options) -> (copy: Double, triad: Double) {
        let floats = Int(streamArrayBytes / 4)
        let a = AlignedBuffer(floats: floats), b = AlignedBuffer(floats: floats), c = AlignedBuffer(floats: floats)
        _ = team.run(threads: threads) { index in
            for i in a.slice(index, of: threads) {
                a.pointer[i] = 0
                b.pointer[i] = 1
                c.pointer[i] = 2
            }
        }
        var bestCopy = 0.0, bestTriad = 0.0
        let repetitions = max(options.repetitions * 2, 10)
        for _ in 0..<repetitions {
            let copySeconds = team.run(threads: threads) { index in
                streamCopy(a.pointer, b.pointer, a.slice(index, of: threads))
            }
            bestCopy = max(bestCopy, 8 * Double(floats) / copySeconds / 1e9)
            let triadSeconds = team.run(threads: threads) { index in
                streamTriad(a.pointer, b.pointer, c.pointer, 3, a.slice(index, of: threads))
            }
            bestTriad = max(bestTriad, 12 * Double(floats) / triadSeconds / 1e9)
        }
        return (bestCopy, bestTriad)
    }

    // MARK: - Cache read bandwidth

    /// Read GB/s with each thread's buffer at half its share of each data cache level, then of
    /// a buffer as large as a STREAM array (DRAM).
    public func cacheReadBandwidth(threads: Int, _ options: Options) -> [CacheReadBandwidth] {
        var targets: [(String, Int)] = []
        let levels = info.caches.filter { $0.type == .data || $0.type == .unified }
        for level in Set(levels.map(\.level)).sorted() {
            // On hybrid chips a level has several sizes; the smallest one is the safe target.
            guard let cache = levels.filter({ $0.level == level }).min(by: { $0.sizeBytes < $1.sizeBytes }) else { continue }
            let coresSharing = max(1, cache.sharedByPUs / max(1, info.threadsPerCore))
            let sharers = min(threads, coresSharing)
            // Half of a private cache; a quarter of a shared one, which other cores (or, on a
            // VM, other guests) also fill: measured here, 16 MiB of a 32 MiB L3 ran at DRAM speed.
            let fraction = cache.sharedByPUs > info.threadsPerCore ? 4 : 2
            targets.append((cache.label, Int(cache.sizeBytes) / sharers / fraction))
        }
        targets.append(("DRAM", Int(streamArrayBytes) / threads))
        return targets.map { label, bytes in
            let floats = max(64, bytes / 4 / 64 * 64)
            return CacheReadBandwidth(
                level: label, bytesPerThread: UInt64(floats * 4),
                GBps: readBandwidth(threads: threads, floatsPerThread: floats, options)
            )
        }
    }

    private func readBandwidth(threads: Int, floatsPerThread: Int, _ options: Options) -> Double {
        let buffers = (0..<threads).map { _ in AlignedBuffer(floats: floatsPerThread) }
        let sink = Sink(count: threads)
        _ = team.run(threads: threads) { index in
            let buffer = buffers[index]
            for i in 0..<buffer.count { buffer.pointer[i] = 1 }
        }
        let passes = calibratedPasses(seconds: options.secondsPerRepetition / 2) { passes in
            sink.store(readSum(buffers[0].pointer, count: floatsPerThread, passes: passes), at: 0)
        }
        var best = 0.0
        for _ in 0..<options.repetitions {
            let seconds = team.run(threads: threads) { index in
                sink.store(readSum(buffers[index].pointer, count: floatsPerThread, passes: passes), at: index)
            }
            best = max(best, 4 * Double(floatsPerThread) * Double(passes) * Double(threads) / seconds / 1e9)
        }
        return best
    }
}

extension RooflineMeasurement {
    /// How many passes of `work` last about `seconds` on one pinned thread, timed inside the
    /// thread: short probes timed around a team run would mostly measure thread start-up.
    func calibratedPasses(seconds: Double, _ work: @escaping @Sendable (Int) -> Void) -> Int {
        let measured = PassTiming()
        var passes = 1
        while true {
            let trial = passes
            _ = team.run(threads: 1) { _ in
                let start = MonotonicClock.seconds()
                work(trial)
                measured.seconds = MonotonicClock.seconds() - start
            }
            if measured.seconds >= 0.02 || passes >= 1 << 30 { break }
            passes *= 2
        }
        return max(1, Int(Double(passes) * seconds / max(measured.seconds, 1e-9)))
    }
}

/// A duration written by one team thread and read after the team joined.
///
/// `@unchecked Sendable`: written by a single thread before the team's completion semaphore,
/// read by the caller after it.
private final class PassTiming: @unchecked Sendable {
    var seconds = 0.0
}

/// Where benchmark threads leave a result, so the optimizer cannot drop the work.
///
/// `@unchecked Sendable`: each thread writes only its own slot.
private final class Sink: @unchecked Sendable {
    private let values: UnsafeMutablePointer<Float>

    init(count: Int) {
        values = .allocate(capacity: count)
        values.initialize(repeating: 0, count: count)
    }

    deinit { values.deallocate() }

    func store(_ value: Float, at index: Int) { values[index] = value }
}
