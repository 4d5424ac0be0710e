import Foundation
import HardwareProbe
import KernelModel
import Synchronization
import Testing
import TunebenchCore

@testable import TunebenchRuntime
import TuningDatabase

/// A database with holes: two x86_64 fixture machines (hwloc exports), a few layers tuned on
/// each, a precision choice, and a record of another kernel-library version.
enum RuntimeFixture {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/hwloc")
    static let primary = try! HardwareProbe.probe(topologyFile: fixtures.appendingPathComponent("32em64t-2n8c2t-pci-normalio.xml").path)
    static let haswell = try! HardwareProbe.probe(topologyFile: fixtures.appendingPathComponent("28intel64-2p2g7c-CoDgroups.v1.xml").path)

    static func best(_ profile: HardwareProfile, _ layer: String, _ config: String, seconds: Double,
                     version: String = KernelLibrary.version) -> BestRecord {
        BestRecord(profileId: profile.id, layer: layer, kernelLibraryVersion: version, kernel: String(config.prefix { $0 != " " }),
                   config: config, medianSeconds: seconds, gflops: 1, rooflineFraction: nil, margin: nil, runnerUpConfig: nil,
                   defaultConfig: config, speedupOverDefault: nil, runId: "run", updatedAt: "2026-11-29T00:00:00Z")
    }

    static func database() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-rt-\(UUID().uuidString)")
        let path = folder.appendingPathComponent("t.sqlite").path
        let database = try TuningDatabase(path: path)
        for profile in [primary, haswell] {
            let json = String(decoding: try JSONEncoder().encode(profile), as: UTF8.self)
            try database.save(profile: ProfileRecord(id: profile.id, name: profile.name, json: json, addedAt: "2026-11-29T00:00:00Z"))
        }
        try database.record(best: best(primary, "gemm m=32 n=4096 k=4096", "gemm kc=256,mc=96,mr=6,nr=16,threads=2", seconds: 2e-3))
        try database.record(best: best(primary, "gemm m=32 n=4096 k=4096 int8", "gemm group=32,kc=256,mc=96,mr=6,nr=16,threads=2", seconds: 1e-3))
        try database.record(best: best(primary, "gemm m=1 n=4096 k=4096", "gemv mb=1,nb=4,prefetch=0,threads=2", seconds: 4e-3))
        try database.record(best: best(primary, "gemm m=128 n=128 k=128", "gemm kc=64,mc=16,mr=4,nr=24,threads=1", seconds: 1e-4, version: "0.0.1"))
        try database.record(best: best(haswell, "gemm m=64 n=1024 k=1024", "gemm kc=128,mc=48,mr=4,nr=24,threads=4", seconds: 1e-3))
        try database.record(choice: ChoiceRecord(profileId: primary.id, layer: "gemm m=32 n=4096 k=4096", kernelLibraryVersion: KernelLibrary.version,
                                                 policy: "max-error 0.01 over fp32,int8", precision: "int8", bestLayer: "gemm m=32 n=4096 k=4096 int8",
                                                 relativeError: 4e-3, errorOnModelWeights: false, decidedAt: "2026-11-29T00:00:00Z"))
        return path
    }
}

/// Collects the runtime's warnings.
final class WarningLog: Sendable {
    let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    /// The per-layer fallback warnings (without the one about records of other versions).
    var layers: [String] { all.filter { !$0.contains("are not used") } }
    var sink: @Sendable (String) -> Void { { line in self.lines.withLock { $0.append(line) } } }
}

@Suite("runtime fallback chain")
struct TuningRuntimeTests {
    @Test("exact: the chosen precision by default, a requested one on demand, with the tuned time; no warning")
    func exact() throws {
        let log = WarningLog()
        let runtime = try TuningRuntime(databasePath: try RuntimeFixture.database(), machine: RuntimeFixture.primary, warn: log.sink)
        let chosen = try runtime.config(for: "gemm m=32 n=4096 k=4096")
        #expect(chosen.step == .exact && chosen.precision == .int8 && chosen.kernel == "gemm")
        #expect(chosen.config == KernelConfig(kernel: "gemm", values: ["group": 32, "kc": 256, "mc": 96, "mr": 6, "nr": 16, "threads": 2]))
        #expect(chosen.expectedSeconds == 1e-3)
        let fp32 = try runtime.config(for: "gemm m=32 n=4096 k=4096", precision: .fp32)
        #expect(fp32.step == .exact && fp32.precision == .fp32 && fp32.config.int("group") == nil)
        #expect(try runtime.config(for: "gemm m=1 n=4096 k=4096").kernel == "gemv")
        #expect(log.layers.isEmpty)
    }

    @Test("nearest shape of the same kernel on the same profile, in fp32; warned once per layer, not per call")
    func nearestShape() throws {
        let log = WarningLog()
        let runtime = try TuningRuntime(databasePath: try RuntimeFixture.database(), machine: RuntimeFixture.primary, warn: log.sink)
        for _ in 0..<3 {
            let answer = try runtime.config(for: "gemm m=48 n=4096 k=4096 bias")
            #expect(answer.step == .nearestShape && answer.precision == .fp32)
            #expect(answer.config.int("kc") == 256 && answer.config.int("group") == nil)
            #expect(answer.source.contains("tuned for gemm m=32 n=4096 k=4096"))
        }
        // Two rows: the GEMV kernel's record serves it, not the GEMM's.
        let skinny = try runtime.config(for: "gemm m=2 n=4096 k=4096")
        #expect(skinny.step == .nearestShape && skinny.kernel == "gemv" && skinny.config.int("nb") == 4)
        #expect(log.layers.count == 2)
        #expect(log.layers[0].contains("gemm m=48 n=4096 k=4096 bias on \(RuntimeFixture.primary.id): nearest-shape"))
    }

    @Test("the most similar profile when nothing of the kernel was tuned here; the analytical model last")
    func similarProfileAndAnalytical() throws {
        let log = WarningLog()
        let runtime = try TuningRuntime(databasePath: try RuntimeFixture.database(), machine: RuntimeFixture.primary, warn: log.sink)
        let gemv = try runtime.config(for: "gemm m=1 n=2048 k=2048", on: RuntimeFixture.haswell.id)
        #expect(gemv.step == .similarProfile && gemv.kernel == "gemv")
        #expect(gemv.source.contains(RuntimeFixture.primary.id))
        let conv = "conv2d n=1 c=3 h=32 w=32 k=16 r=3 s=3 stride=1 pad=1 dilation=1 bias relu"
        let analytical = try runtime.config(for: conv)
        #expect(analytical.step == .analytical && analytical.kernel == "conv2d")
        #expect(analytical.config == AnalyticalDefaults.conv2d(limits: MachineSizes(profile: RuntimeFixture.primary), precision: .fp32))
        let matmul = try runtime.config(for: "matmul m=128 n=128 k=16", on: RuntimeFixture.haswell.id)
        #expect(matmul.step == .analytical && matmul.kernel == "matmul")
        #expect(matmul.config == AnalyticalDefaults.gemm(limits: MachineSizes(profile: RuntimeFixture.haswell), quantized: false, kernel: "matmul"))
        #expect(throws: FileError.self) { try runtime.config(for: "not a layer") }
    }

    @Test("records of another kernel-library version are never used")
    func otherVersion() throws {
        let log = WarningLog()
        let path = try RuntimeFixture.database()
        let runtime = try TuningRuntime(databasePath: path, machine: RuntimeFixture.primary, warn: log.sink)
        let answer = try runtime.config(for: "gemm m=128 n=128 k=128")
        #expect(answer.step == .nearestShape)
        #expect(answer.config.int("kc") != 64)
        #expect(log.all.first == "tunebench runtime: 1 records of kernel library 0.0.1 in \(path) are not used: this deployment runs \(KernelLibrary.version)")
        // An artifact exported for other kernels: every layer falls back to the analytical model.
        let old = try DeploymentArtifact.from(try TuningDatabase(path: path), kernelLibraryVersion: "0.0.1")
        #expect(old.entries.map(\.layer) == ["gemm m=128 n=128 k=128"])
        let stale = try TuningRuntime(artifact: old, machine: RuntimeFixture.primary, warn: log.sink)
        #expect(try stale.config(for: "gemm m=128 n=128 k=128").step == .analytical)
        #expect(log.all.contains { $0.contains("the records are for kernel library 0.0.1") })
    }

    @Test("an artifact round trip answers like the database; a broken artifact names the file")
    func artifactRoundTrip() throws {
        let path = try RuntimeFixture.database()
        let artifact = try DeploymentArtifact.from(try TuningDatabase(path: path))
        let file = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("deploy.json").path
        try artifact.encoded().write(to: URL(fileURLWithPath: file))
        let loaded = try DeploymentArtifact.load(path: file)
        #expect(loaded == artifact)
        #expect(try loaded.encoded() == artifact.encoded())
        let fromFile = try TuningRuntime(artifactPath: file, machine: RuntimeFixture.primary, warn: { _ in })
        let fromDatabase = try TuningRuntime(databasePath: path, machine: RuntimeFixture.primary, warn: { _ in })
        for layer in ["gemm m=32 n=4096 k=4096", "gemm m=48 n=4096 k=4096", "gemm m=1 n=1024 k=1024", "conv2d n=1 c=8 h=8 w=8 k=8 r=3 s=3 stride=1 pad=1 dilation=1"] {
            #expect(try fromFile.config(for: layer) == fromDatabase.config(for: layer))
        }
        try Data("{\"format\": \"something else\"}".utf8).write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: FileError.self) { try DeploymentArtifact.load(path: file) }
        #expect(error?.path == file)
    }
}
