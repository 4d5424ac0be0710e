import CUDALibraries
import Foundation
import GPUKernels
import HardwareProbe
import KernelModel
import Kernels
import Testing
import Tuning
import TuningDatabase
import TunebenchCore

/// The GPU tuner's bookkeeping against a real SQLite database. These machines have no GPU, so
/// the device's side is a stand-in that answers each configuration as a GPU would: a time, a
/// compiler refusal, a wrong result, or a fault that loses the CUDA context.
@Suite("GPU tuner records")
struct GPUTunerTests {
    final class StandInDevice: GPUTrialMeasuring {
        var measured: [String] = []
        let faulting: String?
        /// Times are multiplied by this: another kernel of the same layer, slower or faster.
        let slowdown: Double
        init(faulting: String?, slowdown: Double = 1) { (self.faulting, self.slowdown) = (faulting, slowdown) }
        var compilerDescription: String { "nvrtc 12.9 sm_90" }
        var compileStatistics: (hits: Int, compilations: Int) { (0, measured.count) }
        var samples: Int { 5 }

        func measure(_ family: any GPUKernelFamily, _ config: KernelConfig, data: any GPUProblemData) throws -> GPUTrialResult {
            let complete = family.space.completing(config)
            measured.append(complete.parameterText)
            let block = complete.int("BLOCK_SIZE")!, tile = complete.int("TILE")!
            if complete.parameterText == faulting { throw GPUError(.contextLost, "cuCtxSynchronize failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)") }
            if tile == 4 { throw GPUError(.compileFailed, "vector_add.cu(5): catastrophic error: #error directive: \"TILE above 4\"") }
            if block == 64 && tile == 2 { throw GPUError(.wrongResult, "relative L2 error 0.5 (tolerance 1e-06) WRONG") }
            // Faster with bigger blocks and tiles: the best is 256 x 2.
            let milliseconds = slowdown / Double(block * tile)
            return GPUTrialResult(config: complete, milliseconds: milliseconds, minimumMilliseconds: milliseconds * 0.98,
                                  gflops: family.flops / (milliseconds * 1e6), gigabytesPerSecond: 100,
                                  validation: Validation(relativeError: 0, tolerance: 1e-6, checkedElements: 10), registers: 16,
                                  staticSharedBytes: 0, localBytes: 0)
        }
    }

    final class NoData: GPUProblemData {
        var arguments: [KernelArgument] { [] }
        func poisonOutput() throws {}
        func validate() throws -> Validation { Validation(relativeError: 0, tolerance: 1, checkedElements: 0) }
    }

    static func temporaryDatabasePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tb-gpu-tuner-\(UUID().uuidString).sqlite").path
    }

    /// A machine with four P100s (an hwloc export), for the runs' profile.
    static func gpuMachine() throws -> HardwareProfile {
        try HardwareProbe.probe(topologyFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/hwloc/power8gpudistances.xml").standardized.path)
    }

    static func family() throws -> CUDAUserKernel {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/cuda/vector_add.cu").standardized.path
        return try CUDAUserKernel(sourceFile: source, kernel: "vector_add", parameters: ["BLOCK_SIZE=64,128,256", "TILE=1,2,4"],
                                  constraints: [], problem: "n=1000000", arguments: ["c:float[n]:out", "a:float[n]", "b:float[n]", "n:int=n"],
                                  block: "BLOCK_SIZE", grid: "n/(BLOCK_SIZE*TILE)", flops: "n")
    }

    @Test("failed trials keep their status and message, a fault stops the run, the rerun resumes without the faulting configuration")
    func recordsAndResume() throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try TuningDatabase(path: path)
        let profile = try Self.gpuMachine()
        let family = try Self.family()
        let request = GPUTuneRequest(layer: "cuda vector_add.cu:vector_add n=1000000", strategy: "exhaustive", seed: 1)

        let first = StandInDevice(faulting: "BLOCK_SIZE=128,TILE=2")
        let interrupted = try GPUTuner(profile: profile, database: database, runner: first).tune(family, data: NoData(), request: request)
        #expect(interrupted.stoppedBecause?.contains("CUDA context is lost") == true)
        #expect(interrupted.run.status == .interrupted)
        #expect(interrupted.trials.first?.source == "default" && interrupted.trials.first?.config == "cuda:vector_add BLOCK_SIZE=64,TILE=1")
        let byConfig = Dictionary(uniqueKeysWithValues: interrupted.trials.map { ($0.config, $0) })
        #expect(byConfig["cuda:vector_add BLOCK_SIZE=64,TILE=2"]?.status == .wrongResult)
        #expect(byConfig["cuda:vector_add BLOCK_SIZE=64,TILE=4"]?.status == .invalid)
        #expect(byConfig["cuda:vector_add BLOCK_SIZE=64,TILE=4"]?.message?.contains("#error") == true)
        #expect(byConfig["cuda:vector_add BLOCK_SIZE=128,TILE=2"]?.status == .crashed)
        #expect(try database.runs().first?.buildFlags == "nvrtc 12.9 sm_90")

        let second = StandInDevice(faulting: nil)
        let resumed = try GPUTuner(profile: profile, database: database, runner: second).tune(family, data: NoData(), request: request)
        #expect(resumed.run.id == interrupted.run.id && resumed.run.status == .finished && resumed.stoppedBecause == nil)
        #expect(resumed.trials.count == 9, "every configuration once")
        #expect(!second.measured.contains("BLOCK_SIZE=128,TILE=2"), "the faulting configuration is not tried again")
        #expect(Set(second.measured).isDisjoint(with: Set(first.measured)), "measured trials are reused")
        let best = try #require(resumed.best)
        #expect(best.config == "cuda:vector_add BLOCK_SIZE=256,TILE=2")
        #expect(abs((best.speedupOverDefault ?? 0) - 512.0 / 64) < 1e-9)
        #expect(try database.best(profileID: profile.id).map(\.kernel) == ["cuda:vector_add"])
        #expect(try database.trials(runID: resumed.run.id).count == 9)
        // T4, as Kernel Tuner reads it: the refused configuration is a compile failure.
        let t4 = try JSONSerialization.jsonObject(with: T4Results(trials: resumed.trials).encoded()) as? [String: Any]
        let results = try #require(t4?["results"] as? [[String: Any]])
        #expect(results.count == 9)
        #expect(results.contains { ($0["invalidity"] as? String) == "correct" })
    }

    /// The user kernel under another kernel name, as wgmma and mma.sync tune one layer.
    struct Renamed: GPUKernelFamily {
        let base: CUDAUserKernel
        let kernel: String
        var source: CUDASource { base.source }
        var entry: String { base.entry }
        var space: ParameterSpace { base.space }
        var defaultConfig: KernelConfig { base.defaultConfig }
        var flops: Double { base.flops }
        var minimumBytes: Double { base.minimumBytes }
        func defines(_ config: KernelConfig) -> [String: Int] { base.defines(config) }
        func launch(_ config: KernelConfig) -> LaunchShape { base.launch(config) }
    }

    @Test("a layer tuned with two kernels keeps the faster best; a re-tune of one kernel replaces its own")
    func twoKernelsOneLayer() throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try TuningDatabase(path: path)
        let profile = try Self.gpuMachine()
        let request = GPUTuneRequest(layer: "gemm m=4096 n=4096 k=4096 fp16 on Tesla P100", strategy: "exhaustive", seed: 1, budgetTrials: 3)
        func tune(_ family: any GPUKernelFamily, slowdown: Double) throws -> GPUTuneResult {
            try GPUTuner(profile: profile, database: database, runner: StandInDevice(faulting: nil, slowdown: slowdown))
                .tune(family, data: NoData(), request: request)
        }
        let fast = try tune(Self.family(), slowdown: 1)
        let slower = try tune(Renamed(base: Self.family(), kernel: "cuda-other"), slowdown: 10)
        #expect(slower.keptBest?.kernel == "cuda:vector_add" && slower.best?.kernel == "cuda-other")
        #expect(try database.best(profileID: profile.id).map(\.kernel) == ["cuda:vector_add"])
        #expect(try database.best(profileID: profile.id).first?.medianSeconds == fast.best?.medianSeconds)
        let faster = try tune(Renamed(base: Self.family(), kernel: "cuda-other"), slowdown: 0.1)
        #expect(faster.keptBest == nil)
        #expect(try database.best(profileID: profile.id).map(\.kernel) == ["cuda-other"])
        // The same kernel again, slower this time: its new measurement replaces its own record.
        let again = try tune(Renamed(base: Self.family(), kernel: "cuda-other"), slowdown: 0.5)
        #expect(again.keptBest == nil)
        #expect(try database.best(profileID: profile.id).first?.medianSeconds == again.best?.medianSeconds)
    }

    @Test("reference outputs: .npy (float32, float64, int32) and raw values of the buffer's type")
    func referenceFiles() throws {
        let float = try CUDAUserKernel.Argument(parsing: "c:float[n]:out")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tb-ref-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func npy(_ descr: String, _ body: [UInt8]) -> Data {
            var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (3,), }"
            while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
            header += "\n"
            let length = UInt16(header.utf8.count)
            return Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xff), UInt8(length >> 8)] + Array(header.utf8) + body)
        }
        let floats: [Float] = [1.5, -2, 3.25]
        let f4 = floats.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let f8 = floats.flatMap { withUnsafeBytes(of: Double($0).bitPattern.littleEndian, Array.init) }
        let i4 = [Int32(1), -2, 3].flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        for (name, data, expected) in [("f4.npy", npy("<f4", f4), floats), ("f8.npy", npy("<f8", f8), floats),
                                       ("i4.npy", npy("<i4", i4), [1, -2, 3]), ("raw.bin", Data(f4), floats)] {
            let path = directory.appendingPathComponent(name).path
            try data.write(to: URL(fileURLWithPath: path))
            #expect(try GPUTuneSetup.readReference(path: path, argument: float) == expected, "\(name)")
        }
        let odd = directory.appendingPathComponent("odd.bin").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: odd))
        #expect(throws: FileError.self) { try GPUTuneSetup.readReference(path: odd, argument: float) }
        let unsupported = directory.appendingPathComponent("u2.npy").path
        try npy("<u2", [0, 0, 0, 0, 0, 0]).write(to: URL(fileURLWithPath: unsupported))
        #expect(throws: FileError.self) { try GPUTuneSetup.readReference(path: unsupported, argument: float) }
    }
}
