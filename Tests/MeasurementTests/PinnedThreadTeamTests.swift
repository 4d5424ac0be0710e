import Foundation
import HardwareProbe

@testable import Measurement
import Testing

@Suite("pinned threads and the roofline", .serialized)
struct PinnedThreadTeamTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/hwloc")

    @Test("threads go one per core before any SMT sibling")
    func pinningOrder() throws {
        let knl = try HwlocTopology(xmlFile: Self.fixtures.appendingPathComponent("Intel-KnightsLanding-XeonPhi-7210.xml").path)
        let cores = knl.pinningPUs(threads: 64)
        #expect(Set(cores).count == 64)
        let smt = knl.pinningPUs(threads: 65)
        #expect(Set(smt).count == 65)
        // The 65th thread shares the first core: its PU is a sibling of the first thread's PU.
        let first = knl.topologyInfo()
        #expect(first.threadsPerCore == 4)
        // XML topologies describe another machine: binding is refused, never attempted.
        #expect(knl.bindCurrentThread(toPU: cores[0]) == false)
    }

    @Test("each thread of a team runs on the PU it was pinned to")
    func threadsRunWherePinned() throws {
        let topology = try HwlocTopology()
        let threads = min(2, topology.topologyInfo().cores)
        let expected = topology.pinningPUs(threads: threads)
        let seen = CPURecorder(count: threads)
        _ = PinnedThreadTeam(topology: topology).run(threads: threads) { index in
            // Spin a little so the scheduler has had a chance to move an unpinned thread.
            var x = 0.0
            for i in 0..<200_000 { x += Double(i) }
            seen.record((topology.lastPUOfCurrentThread() ?? -1) + (x < 0 ? 1 : 0), at: index)
        }
        #expect(seen.values == expected)
    }

    @Test("default thread counts")
    func threadCounts() {
        #expect(RooflineMeasurement.defaultThreadCounts(cores: 1) == [1])
        #expect(RooflineMeasurement.defaultThreadCounts(cores: 2) == [1, 2])
        #expect(RooflineMeasurement.defaultThreadCounts(cores: 8) == Array(1...8))
        #expect(RooflineMeasurement.defaultThreadCounts(cores: 48) == [1, 2, 4, 8, 16, 32, 48])
    }

    @Test("a short roofline run fills every figure for every level")
    func shortRoofline() throws {
        let topology = try HwlocTopology()
        let measurement = RooflineMeasurement(topology: topology)
        let roofline = measurement.measure(.init(threadCounts: [1], repetitions: 1, secondsPerRepetition: 0.01))
        let point = try #require(roofline.points.first)
        #expect(roofline.points.map(\.threads) == [1])
        #expect(point.peakGFLOPS > 0 && point.copyGBps > 0 && point.triadGBps > 0)
        let levels = Set(measurement.info.caches.filter { $0.type == .data || $0.type == .unified }.map(\.label))
        #expect(Set(point.cacheRead.map(\.level)) == levels.union(["DRAM"]))
        #expect(point.cacheRead.allSatisfy { $0.GBps > 0 && $0.bytesPerThread % 256 == 0 })
        // STREAM arrays: at least 4x the last-level cache, so the bandwidth is memory's.
        let llc = measurement.info.caches.filter { $0.type != .instruction && $0.type != .memorySide }.map { $0.sizeBytes * UInt64($0.count) }.max() ?? 0
        #expect(roofline.streamArrayBytes >= min(4 * llc, 1 << 30))
    }

    @Test("the FMA kernels compute what they claim")
    func fmaKernelValues() {
        // With x ≈ 1 and y ≈ 0 each chain stays near its seed: 12 chains x lanes x seed-ish.
        let narrow = fmaChains(SIMD8<Float>.self, iterations: 10, seed: 1)
        let wide = fmaChains(SIMD16<Float>.self, iterations: 10, seed: 1)
        // Chains start at 1...12: sum of seeds is 78 per lane.
        #expect(abs(narrow - 78 * 8) < 0.1)
        #expect(abs(wide - 78 * 16) < 0.2)
        let values = [Float](repeating: 0.5, count: 128)
        #expect(values.withUnsafeBufferPointer { readSum($0.baseAddress!, count: 128, passes: 3) } == 192)
    }
}

/// Per-thread slots for the CPU each team thread saw.
///
/// `@unchecked Sendable`: each thread writes only its own slot; the test reads after the join.
final class CPURecorder: @unchecked Sendable {
    private var storage: [Int]
    init(count: Int) { storage = Array(repeating: -1, count: count) }
    func record(_ cpu: Int, at index: Int) { storage.withUnsafeMutableBufferPointer { $0[index] = cpu } }
    var values: [Int] { storage }
}
