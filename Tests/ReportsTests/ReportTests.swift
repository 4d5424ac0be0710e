import Foundation
import HardwareProbe
import Reports
import Testing

@Suite("summary and comparison")
struct ReportTests {
    static func fixture(_ name: String) throws -> HardwareProfile {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/hwloc/\(name)").path
        return try HardwareProbe.probe(topologyFile: path)
    }

    @Test("the summary shows the lstopo-style tree, caches, GPUs and counters")
    func summary() throws {
        let text = ProfileSummary.render(try Self.fixture("test-hwloc-annotate.input.xml"))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("    Package P#0"))
        #expect(lines.contains("    NUMANode P#0 (3.7GB)"))
        #expect(lines.contains { $0.trimmingCharacters(in: .whitespaces) == "PU P#3" })
        #expect(lines.contains { $0.hasPrefix("  L3") && $0.contains("4MB") && $0.hasSuffix("1") })
        #expect(lines.contains { $0.contains("Core Processor Integrated Graphics Controller") })
        #expect(text.contains("Roofline: not measured"))
        let noGPU = ProfileSummary.render(try Self.fixture("synthetic-1pack-8core-smt2.xml"))
        #expect(noGPU.contains("GPUs: none"))
    }

    @Test("comparing a profile with itself marks nothing")
    func selfComparison() throws {
        let profile = try Self.fixture("AMD-17h-Zen-2xEpyc-7451.xml")
        let comparison = ProfileComparison(profile, profile)
        #expect(comparison.differences.isEmpty)
        #expect(comparison.render().contains("0 of"))
    }

    @Test("differences are marked: counts, caches, GPUs, architecture")
    func differences() throws {
        let a = try Self.fixture("AMD-17h-Zen-2xEpyc-7451.xml")
        let b = try Self.fixture("power8gpudistances.xml")
        let comparison = ProfileComparison(a, b)
        let differing = Set(comparison.differences.map { "\($0.section)/\($0.field)" })
        for expected in ["identity/id", "counts/cores", "counts/NUMA nodes", "caches/L3", "caches/L2", "GPUs/count", "identity/architecture"] {
            #expect(differing.contains(expected), "\(expected)")
        }
        #expect(!differing.contains("counts/packages"))
        let l2 = try #require(comparison.rows.first { $0.section == "caches" && $0.field == "L2" })
        #expect(l2.b == "none")
        let marked = comparison.render().split(separator: "\n").filter { $0.hasPrefix("*") }
        #expect(marked.count == comparison.differences.count)
    }

    @Test("roofline rows carry the B/A ratio")
    func rooflineRatio() throws {
        var a = try Self.fixture("synthetic-1pack-8core-smt2.xml")
        var b = a
        a.roofline = Roofline(measuredAt: "t", buildMarch: "native", vectorBits: 256, streamArrayBytes: 1,
                              points: [RooflinePoint(threads: 1, peakGFLOPS: 50, copyGBps: 10, triadGBps: 10, cacheRead: [])])
        b.roofline = Roofline(measuredAt: "t", buildMarch: "native", vectorBits: 256, streamArrayBytes: 1,
                              points: [RooflinePoint(threads: 1, peakGFLOPS: 100, copyGBps: 10, triadGBps: 12, cacheRead: [])])
        let text = ProfileComparison(a, b).render()
        let peak = try #require(text.split(separator: "\n").first { $0.contains("1T FMA GFLOP/s") })
        #expect(peak.hasPrefix("*"))
        #expect(peak.hasSuffix("2.00x"))
    }

    @Test("tables align numbers right and text left")
    func table() {
        var table = TextTable(header: ["name", "value"])
        table.add(["a", "5"])
        table.add(["long", "12.5"])
        #expect(table.render(indent: "") == "name  value\na         5\nlong   12.5")
    }
}
