import Foundation
import HardwareProbe
import KernelModel
import Reports
import Testing
import TunebenchCore
import TunebenchRuntime
import TuningDatabase

/// A real SQLite database holding a machine with an A100 (an hwloc export given what the CUDA
/// driver reports of one, as the GPU runtime tests build theirs) and a CPU-only machine: one
/// fp16 GEMM tuned on the A100 (with `tune --gpu`'s layer text) and on both CPUs, and layers
/// tuned on a CPU only. An Ampere GPU: its fp16 kernel is `cuda-gemm-tc` on every version of
/// the GPU kernels (Hopper gets its own).
enum GPUComparisonFixture {
    static let a100: HardwareProfile = {
        var profile = try! HardwareProbe.probe(topologyFile: ComparisonFixture.fixtures.appendingPathComponent("32em64t-2n8c2t-pci-normalio.xml").path)
        var gpu = GPUInfo(vendor: "NVIDIA", vendorID: 0x10de, deviceID: 0x20b2, pciClass: 0x0302, pciBusID: "0000:1b:00.0",
                          name: "NVIDIA A100-SXM4-80GB", memoryBytes: 80 << 30, computeCapability: "8.0", multiprocessors: 108)
        gpu.roofline = GPURoofline(copyGBps: 1700, triadGBps: 1800, fp32GFLOPs: 19_500, fp16TensorGFLOPs: 312_000, bf16TensorGFLOPs: 312_000,
                                   measuredAt: "2026-12-01T00:00:00Z")
        profile.gpus = [gpu]
        profile.id = Fingerprint.compute(profile)
        return profile
    }()
    static let cpuOnly = try! HardwareProbe.probe(topologyFile: ComparisonFixture.fixtures.appendingPathComponent("synthetic-1pack-8core-smt2.xml").path)

    static let layer = Layer.gemm(m: 512, n: 4096, k: 4096)
    /// The recorded medians of `layer` in fp16.
    static let gpuSeconds = 2.5e-4, a100CPUSeconds = 4e-2, cpuOnlySeconds = 5e-2

    static func best(_ profile: HardwareProfile, _ layer: String, _ config: String, seconds: Double) -> BestRecord {
        BestRecord(profileId: profile.id, layer: layer, kernelLibraryVersion: KernelLibrary.version, kernel: String(config.prefix { $0 != " " }),
                   config: config, medianSeconds: seconds, gflops: 1, rooflineFraction: nil, margin: nil, runnerUpConfig: nil,
                   defaultConfig: config, speedupOverDefault: nil, runId: "run", updatedAt: "2026-12-01T00:00:00Z")
    }

    static func database() throws -> TuningDatabase {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tb-gpu-compare-\(UUID().uuidString).sqlite").path
        let database = try TuningDatabase(path: path)
        for profile in [a100, cpuOnly] {
            let json = String(decoding: try JSONEncoder().encode(profile), as: UTF8.self)
            try database.save(profile: ProfileRecord(id: profile.id, name: profile.name, json: json, addedAt: "2026-12-01T00:00:00Z"))
        }
        let cpuGEMM = "gemm kc=256,mc=96,mr=6,nr=16,threads=2"
        for record in [
            best(a100, GPULayerKey.text(key: "gemm m=512 n=4096 k=4096 fp16", device: "NVIDIA A100-SXM4-80GB"),
                 "cuda-gemm-tc BF16=0,BK=64,BM=256,BN=128,STAGES=4,WM=64,WN=64", seconds: gpuSeconds),
            best(a100, "gemm m=512 n=4096 k=4096 fp16", cpuGEMM, seconds: a100CPUSeconds),
            best(a100, "gemm m=64 n=64 k=64 fp16", cpuGEMM, seconds: 1e-5),
            best(cpuOnly, "gemm m=512 n=4096 k=4096 fp16", cpuGEMM, seconds: cpuOnlySeconds),
            best(cpuOnly, "gemm m=256 n=4096 k=4096 fp16", cpuGEMM, seconds: 2.5e-2),
        ] {
            try database.record(best: record)
        }
        return database
    }

    /// A on its A100, B on its CPU, both in fp16 (`--device A=gpu --precision fp16`).
    static func targets(a: HardwareProfile = a100, b: HardwareProfile = cpuOnly) throws -> (a: ComparisonTarget, b: ComparisonTarget) {
        try ComparisonTarget.parse(devices: "A=gpu", precisions: "fp16", a: a, b: b)
    }
}

@Suite("compare a GPU with a CPU")
struct GPUComparisonTests {
    typealias Fixture = GPUComparisonFixture

    @Test("in the precision autotune --gpu chose, a GPU record of a product answers the CPU's layer with its epilogue, in one row")
    func gpuChoiceServesEpilogue() throws {
        let database = try Fixture.database()
        let a100 = "NVIDIA A100-SXM4-80GB"
        try database.record(best: Fixture.best(Fixture.a100, GPULayerKey.text(key: "gemm m=128 n=4096 k=4096 fp16", device: a100),
                                               "cuda-gemm-tc BF16=0,BK=32,BM=128,BN=128,STAGES=3,WM=64,WN=64", seconds: 1e-4))
        try database.record(best: Fixture.best(Fixture.a100, GPULayerKey.text(key: "gemm m=128 n=4096 k=4096", device: a100),
                                               "cuda-gemm-f32 BK=16,BM=128,BN=128,LN=8,STAGES=2,TM=8,TN=4,VEC=4,WM=64,WN=32", seconds: 4e-4))
        try database.record(choice: ChoiceRecord(
            profileId: Fixture.a100.id, layer: GPULayerKey.text(key: "gemm m=128 n=4096 k=4096", device: a100),
            kernelLibraryVersion: KernelLibrary.version, policy: "max-error 0.01 over fp32,fp16", precision: "fp16",
            bestLayer: GPULayerKey.text(key: "gemm m=128 n=4096 k=4096 fp16", device: a100), relativeError: 3e-4,
            errorOnModelWeights: false, decidedAt: "2026-12-01T00:00:00Z"))
        try database.record(best: Fixture.best(Fixture.cpuOnly, "gemm m=128 n=4096 k=4096 bias", "gemm kc=256,mc=96,mr=6,nr=16,threads=2", seconds: 1e-2))
        let targets = try ComparisonTarget.parse(devices: "A=gpu", precisions: nil, a: Fixture.a100, b: Fixture.cpuOnly)
        let comparison = try TunedComparison.from(database, a: Fixture.a100, b: Fixture.cpuOnly, model: nil, prices: HourlyPrices(), targets: targets)
        let rows = comparison.rows.filter { $0.layer.m == 128 }
        #expect(rows.map(\.layer.description) == ["gemm m=128 n=4096 k=4096 bias"])
        let row = try #require(rows.first)
        #expect(row.a.answer.step == .exact && row.a.answer.precision == .fp16 && row.a.seconds == 1e-4)
        #expect(row.b.answer.step == .exact && row.b.answer.precision == .fp32 && row.b.seconds == 1e-2)
    }

    @Test("the GPU side takes its GPU record's median: ratio, model total and cost per million from the records")
    func gpuAgainstCPU() throws {
        let database = try Fixture.database()
        let runtime = try TuningRuntime(store: database, machine: Fixture.a100, warn: { _ in })
        let targets = try Fixture.targets()
        let comparison = try TunedComparison(a: Fixture.a100, b: Fixture.cpuOnly, runtime: runtime, layers: [(Fixture.layer, 4)], scope: "test",
                                             pricePerHourA: 3.50, pricePerHourB: 1.20, targetA: targets.a, targetB: targets.b)
        let row = try #require(comparison.rows.first)
        #expect(row.a.answer.kernel == "cuda-gemm-tc" && row.a.answer.step == .exact && row.a.seconds == Fixture.gpuSeconds)
        #expect(row.b.answer.kernel == "gemm" && row.b.seconds == Fixture.cpuOnlySeconds)
        #expect(row.ratio == Fixture.cpuOnlySeconds / Fixture.gpuSeconds && row.faster == "A")
        #expect(comparison.secondsA == 4 * Fixture.gpuSeconds && comparison.secondsB == 4 * Fixture.cpuOnlySeconds)
        #expect(comparison.costPerMillionA == 4 * Fixture.gpuSeconds * 3.50 / 3600 * 1e6)
        #expect(comparison.costPerMillionB == 4 * Fixture.cpuOnlySeconds * 1.20 / 3600 * 1e6)
        let text = comparison.render()
        #expect(text.contains("A = \(Fixture.a100.id) (\(Fixture.a100.name)) on NVIDIA A100-SXM4-80GB (GPU) in fp16; B = \(Fixture.cpuOnly.id) (\(Fixture.cpuOnly.name)) on CPU in fp16"), "\(text)")
        // 4 x 0.25 ms against 4 x 50 ms; 1 ms x 3.50 / 3600 s x 10^6 = 0.9722, 200 ms x 1.20 / 3600 s x 10^6 = 66.6667.
        #expect(text.contains("per inference (each layer x its multiplicity): A 1.0000 ms, B 200.0000 ms: A serves it 200.00x faster"), "\(text)")
        #expect(text.contains("cost: A at 3.50/h: 0.9722 per million inferences; B at 1.20/h: 66.6667 per million inferences; cheaper: A (68.57x)"), "\(text)")
        // 2·512·4096·4096 FLOP in 0.25 ms and in 50 ms.
        #expect(comparison.render(markdown: true).contains("| gemm m=512 n=4096 k=4096 | 4 | cuda-gemm-tc fp16 | 0.2500 | 68719.5 | gemm fp16 | 50.0000 | 343.6 | A | 200.00x |"))
    }

    @Test("from the database: every layer tuned on A's GPU or B's CPU; one without a GPU record is not measured on the GPU side")
    func layerWithoutGPURecord() throws {
        let comparison = try TunedComparison.from(try Fixture.database(), a: Fixture.a100, b: Fixture.cpuOnly, model: nil,
                                                  prices: HourlyPrices(a: 3.50, b: 1.20), targets: try Fixture.targets())
        // A's CPU-only layer (m=64) is no layer of A's GPU side nor of B's.
        #expect(comparison.rows.map(\.layer.description) == ["gemm m=256 n=4096 k=4096", "gemm m=512 n=4096 k=4096"])
        let untuned = comparison.rows[0]
        #expect(untuned.a.seconds == nil && untuned.a.answer.step == .nearestShape && untuned.a.answer.kernel == "cuda-gemm-tc")
        #expect(untuned.a.answer.config.int("BM") == 256, "the A100's nearest tuned shape answers, untimed")
        #expect(untuned.b.seconds == 2.5e-2 && untuned.ratio == nil && untuned.faster == nil)
        #expect(comparison.rows[1].ratio == Fixture.cpuOnlySeconds / Fixture.gpuSeconds)
        #expect(comparison.secondsA == nil && comparison.costPerMillionA == nil)
        #expect(comparison.secondsB == 2.5e-2 + Fixture.cpuOnlySeconds)
        let text = comparison.render()
        #expect(text.contains("cuda-gemm-tc fp16 (nearest-shape)") && text.contains("A not measured (a layer has no record)"), "\(text)")
        #expect(text.contains("1 of 2 layers are not measured on both sides"), "\(text)")
    }

    @Test("records in another precision than the compared one: not measured, and the report names the --precision that measures them")
    func otherPrecision() throws {
        let targets = try ComparisonTarget.parse(devices: "A=gpu", precisions: nil, a: Fixture.a100, b: Fixture.cpuOnly)
        let comparison = try TunedComparison.from(try Fixture.database(), a: Fixture.a100, b: Fixture.cpuOnly, model: nil, prices: HourlyPrices(), targets: targets)
        let row = try #require(comparison.rows.first { $0.layer == Fixture.layer })
        #expect(row.a.answer.precision == .fp32 && row.a.answer.kernel == "cuda-gemm-f32" && row.a.seconds == nil)
        #expect(row.a.tunedPrecisions == [.fp16] && row.b.tunedPrecisions == [.fp16])
        let text = comparison.render()
        #expect(text.contains("1 layer not measured on A (NVIDIA A100-SXM4-80GB (GPU)) is tuned there in fp16: --precision A=fp16 compares it."), "\(text)")
        #expect(text.contains("2 layers not measured on B (CPU) are tuned there in fp16: --precision B=fp16 compares them."), "\(text)")
        // Compared in fp16, nothing is left to hint at on B; A's m=256 has no GPU record in any precision.
        let fp16 = try TunedComparison.from(try Fixture.database(), a: Fixture.a100, b: Fixture.cpuOnly, model: nil, prices: HourlyPrices(),
                                            targets: try Fixture.targets())
        #expect(!fp16.render().contains("--precision"))
    }

    @Test("one machine against itself: its GPU record against its CPU record of the same layer")
    func sameMachine() throws {
        let targets = try Fixture.targets(a: Fixture.a100, b: Fixture.a100)
        let comparison = try TunedComparison.from(try Fixture.database(), a: Fixture.a100, b: Fixture.a100, model: nil, prices: HourlyPrices(), targets: targets)
        let row = try #require(comparison.rows.first { $0.layer == Fixture.layer })
        #expect(row.a.answer.kernel == "cuda-gemm-tc" && row.b.answer.kernel == "gemm")
        #expect(row.ratio == Fixture.a100CPUSeconds / Fixture.gpuSeconds)
    }

    @Test("--device and --precision: both sides at once or per side (A, B or the profile id); mistakes named")
    func parsing() throws {
        let (a100, cpu) = (Fixture.a100, Fixture.cpuOnly)
        let both = try ComparisonTarget.parse(devices: "gpu", precisions: nil, a: a100, b: a100)
        #expect(both.a.device == .gpu && both.b.device == .gpu && both.a.deviceName == "NVIDIA A100-SXM4-80GB (GPU)")
        let byID = try ComparisonTarget.parse(devices: "\(a100.id)=gpu,B=cpu", precisions: "A=fp16,B=int8", a: a100, b: cpu)
        #expect(byID.a.device == .gpu && byID.a.precision == .fp16 && byID.b.device == .cpu && byID.b.precision == .int8)
        let defaults = try ComparisonTarget.parse(devices: nil, precisions: nil, a: a100, b: cpu)
        #expect(defaults.a == .cpu && defaults.b == .cpu)
        let mistakes: [(String?, String?, String)] = [
            ("C=gpu", nil, "--device: \"C\" is neither A, B, \(a100.id) nor \(cpu.id)"),
            ("A=tpu", nil, "--device: \"tpu\" is not one of cpu, gpu (e.g. --device A=gpu,B=cpu)"),
            ("A=gpu,A=cpu", nil, "--device: side A is given twice"),
            ("A=gpu,B", nil, "--device takes one value for both sides or SIDE=VALUE pairs, e.g. A=gpu,B=cpu; got \"B\""),
            (nil, "A=fp8", "--precision: \"fp8\" is not one of fp32, fp16, bf16, int8, int4 (e.g. --precision A=fp16,B=int8)"),
        ]
        for (devices, precisions, message) in mistakes {
            #expect(throws: OptionError(message)) { try ComparisonTarget.parse(devices: devices, precisions: precisions, a: a100, b: cpu) }
        }
    }

    @Test("a side asked on a GPU whose profile has no CUDA GPU: refused, naming the profile")
    func noGPU() throws {
        let cpu = Fixture.cpuOnly
        #expect(cpu.gpus.isEmpty)
        let expected = OptionError("--device B=gpu: profile \(cpu.id) (\(cpu.name)) has no CUDA GPU to compare on: it lists no GPU (probe the machine with the NVIDIA driver loaded)")
        #expect(throws: expected) { try ComparisonTarget.parse(devices: "B=gpu", precisions: nil, a: Fixture.a100, b: cpu) }
        #expect(throws: expected) { try ComparisonTarget.parse(devices: "gpu", precisions: nil, a: Fixture.a100, b: cpu) }
        // PCI GPUs hwloc saw, none described by the CUDA driver: no GPU record can be this profile's.
        let pciOnly = try HardwareProbe.probe(topologyFile: ComparisonFixture.fixtures.appendingPathComponent("32em64t-2n8c2t-pci-normalio.xml").path)
        do {
            _ = try ComparisonTarget.parse(devices: "A=gpu", precisions: nil, a: pciOnly, b: cpu)
            Issue.record("a profile without a CUDA GPU was compared on its GPU")
        } catch let error as OptionError {
            #expect(error.message.hasPrefix("--device A=gpu: profile \(pciOnly.id) "), "\(error.message)")
            #expect(error.message.contains("it lists Tesla M2075 Dual-Slot Computing Processor Module, MGA G200eW WPCM450, Tesla K40m"), "\(error.message)")
        }
    }

    @Test("the HTML names each side's device and draws the GPU side on the GPU's roofline")
    func html() throws {
        let comparison = try TunedComparison.from(try Fixture.database(), a: Fixture.a100, b: Fixture.cpuOnly, model: nil,
                                                  prices: HourlyPrices(), targets: try Fixture.targets())
        let page = ComparisonHTML.render(comparison, hardware: ProfileComparison(Fixture.a100, Fixture.cpuOnly))
        #expect(page.contains("on <strong>NVIDIA A100-SXM4-80GB (GPU)</strong> in fp16") && page.contains("on <strong>CPU</strong> in fp16"))
        #expect(page.contains("<svg class=\"chart roofline\" data-profile=\"A\" data-device=\"gpu\""))
        #expect(page.contains("device memory triad 1800 GB/s, fp32 peak 19500 GFLOP/s") && page.contains("fp16 tensor cores 312000 GFLOP/s"))
        // B's CPU has no measured roofline: its layers are placed all the same.
        #expect(page.contains("no measured roofline (tunebench roofline --save)"))
        #expect(page.components(separatedBy: "<circle class=\"layer-point\"").count - 1 == 3) // 1 layer on A's GPU, 2 on B
        #expect(page.contains("<th>A (NVIDIA A100-SXM4-80GB (GPU))</th>"))
    }
}
