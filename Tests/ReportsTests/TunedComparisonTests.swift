import Foundation
import HardwareProbe
import KernelModel
import Reports
import Testing
import TunebenchRuntime
import TuningDatabase

/// Two fixture machines with a measured roofline each, and tuned layers on both (one only on A).
enum ComparisonFixture {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/hwloc")
    static func profile(_ file: String, peak: Double, triad: Double) -> HardwareProfile {
        var profile = try! HardwareProbe.probe(topologyFile: fixtures.appendingPathComponent(file).path)
        profile.roofline = Roofline(measuredAt: "2026-11-29T00:00:00Z", buildMarch: "native", vectorBits: 256, streamArrayBytes: 1 << 28, points: [
            RooflinePoint(threads: profile.topology.cores, peakGFLOPS: peak, copyGBps: triad, triadGBps: triad,
                          cacheRead: [CacheReadBandwidth(level: "L2", bytesPerThread: 1 << 18, GBps: triad * 8)]),
        ])
        return profile
    }
    static let a = profile("32em64t-2n8c2t-pci-normalio.xml", peak: 400, triad: 20)
    static let b = profile("28intel64-2p2g7c-CoDgroups.v1.xml", peak: 900, triad: 60)

    static func runtime() throws -> TuningRuntime {
        func entry(_ profile: HardwareProfile, _ layer: String, _ seconds: Double, kernel: String = "gemm") -> DeploymentArtifact.Entry {
            .init(profile: profile.id, layer: layer, precision: .fp32, kernel: kernel, parameters: ["kc": 256, "threads": 2], expectedSeconds: seconds, gflops: 1)
        }
        let artifact = DeploymentArtifact(kernelLibraryVersion: KernelLibrary.version, exportedAt: "test", profiles: [a, b], entries: [
            entry(a, "gemm m=32 n=4096 k=4096", 4e-3), entry(b, "gemm m=32 n=4096 k=4096", 2e-3),
            entry(a, "gemm m=1 n=4096 k=4096", 3e-3, kernel: "gemv"), entry(b, "gemm m=1 n=4096 k=4096", 4e-3, kernel: "gemv"),
            entry(a, "gemm m=64 n=64 k=64 bias", 1e-5),
        ])
        return try TuningRuntime(artifact: artifact, machine: a, warn: { _ in })
    }
}

@Suite("compare tuned results")
struct TunedComparisonTests {
    @Test("per layer the faster profile; model totals with multiplicities; cost per million inferences")
    func totalsAndCost() throws {
        let comparison = try TunedComparison(a: ComparisonFixture.a, b: ComparisonFixture.b, runtime: try ComparisonFixture.runtime(),
                                             layers: [(Layer.gemm(m: 32, n: 4096, k: 4096), 2), (Layer.gemm(m: 1, n: 4096, k: 4096), 10)], scope: "test",
                                             pricePerHourA: 3.06, pricePerHourB: 1.20)
        #expect(comparison.rows.map(\.faster) == ["B", "A"])
        #expect(comparison.rows[0].ratio == 0.5)
        #expect(comparison.secondsA == 2 * 4e-3 + 10 * 3e-3)
        #expect(comparison.secondsB == 2 * 2e-3 + 10 * 4e-3)
        // 0.038 s x 3.06 / 3600 s x 10^6 inferences.
        #expect(abs(try #require(comparison.costPerMillionA) - 0.038 * 3.06 / 3600 * 1e6) < 1e-9)
        let text = comparison.render()
        #expect(text.contains("per inference (each layer x its multiplicity): A 38.0000 ms, B 44.0000 ms: A serves it 1.16x faster"))
        #expect(text.contains("cost: A at 3.06/h: 32.3000 per million inferences; B at 1.20/h: 14.6667 per million inferences; cheaper: B (2.20x)"))
        #expect(comparison.render(markdown: true).contains("| gemm m=32 n=4096 k=4096 | 2 | gemm fp32 | 4.0000 | 268.4 | gemm fp32 | 2.0000 | 536.9 | B | 0.50x |"))
    }

    @Test("a layer measured on one profile only: shown with the other's fallback, not timed, no total")
    func holes() throws {
        let comparison = try TunedComparison(a: ComparisonFixture.a, b: ComparisonFixture.b, runtime: try ComparisonFixture.runtime(),
                                             layers: [(Layer.gemm(m: 64, n: 64, k: 64, epilogue: Epilogue(bias: true)), 1)], scope: "test")
        #expect(comparison.rows[0].a.seconds == 1e-5 && comparison.rows[0].b.seconds == nil)
        #expect(comparison.rows[0].b.answer.step == .nearestShape)
        #expect(comparison.secondsB == nil && comparison.rows[0].faster == nil)
        #expect(comparison.render().contains("B not measured (a layer has no record)"))
    }

    @Test("the HTML report holds both rooflines with the layers on them and the bar chart; Chromium lays them out")
    func html() throws {
        let comparison = try TunedComparison(a: ComparisonFixture.a, b: ComparisonFixture.b, runtime: try ComparisonFixture.runtime(),
                                             layers: [(Layer.gemm(m: 32, n: 4096, k: 4096), 1), (Layer.gemm(m: 1, n: 4096, k: 4096), 1), (Layer.gemm(m: 64, n: 64, k: 64, epilogue: Epilogue(bias: true)), 1)],
                                             scope: "every <layer>")
        let page = ComparisonHTML.render(comparison, hardware: ProfileComparison(ComparisonFixture.a, ComparisonFixture.b))
        #expect(page.components(separatedBy: "<svg class=\"chart roofline\"").count - 1 == 2)
        #expect(page.components(separatedBy: "<circle class=\"layer-point\"").count - 1 == 5) // 3 layers on A, 2 on B
        #expect(page.components(separatedBy: "<rect class=\"bar ").count - 1 == 5)
        #expect(page.contains("every &lt;layer&gt;") && !page.contains("every <layer>"))
        // A real browser: Chromium (headless) loads the page, runs its check script, dumps the DOM.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tb-compare-\(UUID().uuidString).html")
        try Data(page.utf8).write(to: file)
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let browser = try #require(chromium, "Chromium is not installed: scripts/test installs it (apt-get install chromium)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=2000", "--dump-dom", file.absoluteString]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // Laid out at their size plus the 1-pixel border.
        #expect(dom.components(separatedBy: "data-rendered=\"522x342\"").count - 1 == 2, "\(dom.prefix(2000))")
        // Marks with a laid-out size: 3 layers on A's roofline, 2 on B's, 5 bars.
        for marks in ["3", "2", "5"] { #expect(dom.components(separatedBy: "data-visible-marks=\"\(marks)\"").count - 1 == 1, "\(marks)") }
    }
}
