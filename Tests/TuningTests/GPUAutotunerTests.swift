import CUDALibraries
import Foundation
import GPUKernels
import HardwareProbe
import KernelModel
import Kernels
import Reports
import Testing
import TunebenchCore
import TunebenchRuntime
import Tuning
import TuningDatabase
import Workloads

/// `autotune --gpu` against a real SQLite database, its artifact and the runtime's answers.
/// These machines have no GPU: the device's side is a stand-in that times each kernel as a GPU
/// of H200 class would run it (GPUTunerTests has the failure cases).
@Suite("GPU autotune")
struct GPUAutotunerTests {
    /// fp32 at 40 TFLOP/s, tensor cores at 600, every kernel at most 3 TB/s of its operands; each
    /// configuration up to 60% slower than the best by its parameters' hash, the default 40%.
    final class StandInGPU: GPUTrialMeasuring {
        var measured: [String] = []
        var faulting: String?
        init(faulting: String? = nil) { self.faulting = faulting }
        var compilerDescription: String { "nvrtc 12.9 sm_90a" }
        var compileStatistics: (hits: Int, compilations: Int) { (0, measured.count) }
        var samples: Int { 5 }

        func measure(_ family: any GPUKernelFamily, _ config: KernelConfig, data: any GPUProblemData) throws -> GPUTrialResult {
            let complete = family.space.completing(config)
            let text = "\(family.kernel) \(complete.parameterText)"
            measured.append(text)
            if text == faulting { throw GPUError(.contextLost, "cuCtxSynchronize failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)") }
            let rate = family.kernel == "cuda-gemm-f32" ? 40e12 : 600e12
            let ideal = max(family.flops / rate, family.minimumBytes / 3e12)
            let isDefault = complete == family.space.completing(family.defaultConfig)
            // FNV-1a: the same slowdown for a configuration in every process.
            let hash = text.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
            let slowdown = isDefault ? 1.4 : 1 + Double(hash % 600) / 1000
            let milliseconds = ideal * slowdown * 1e3
            return GPUTrialResult(config: complete, milliseconds: milliseconds, minimumMilliseconds: milliseconds * 0.98,
                                  gflops: family.flops / (milliseconds * 1e6), gigabytesPerSecond: family.minimumBytes / (milliseconds * 1e6),
                                  validation: Validation(relativeError: 1e-6, tolerance: 1e-2, checkedElements: 10), registers: 64,
                                  staticSharedBytes: 0, localBytes: 0)
        }
    }

    final class NoData: GPUProblemData {
        var arguments: [KernelArgument] { [] }
        func poisonOutput() throws {}
        func validate() throws -> Validation { Validation(relativeError: 0, tolerance: 1, checkedElements: 0) }
    }

    static let device = "NVIDIA H200"

    /// A decode projection (4 per block), a prefill projection with and without its bias (one
    /// GPU layer), a convolution and a product of two activations (both left to the CPU).
    static func workload() -> Workload {
        Workload(name: "gpu mix", source: "test", instances: [
            .init(name: "q decode", layer: .gemm(m: 1, n: 1024, k: 4096), count: 4),
            .init(name: "up prefill", layer: .gemm(m: 64, n: 1024, k: 1024, epilogue: Epilogue(bias: true))),
            .init(name: "down prefill", layer: .gemm(m: 64, n: 1024, k: 1024)),
            .init(name: "conv", layer: .conv2d(try! Conv2DShape(parsing: "1,64,56,56,64,3,3,1,1"))),
            .init(name: "scores", layer: .matmul(m: 64, n: 64, k: 128)),
        ])
    }

    static func autotuner(_ database: TuningDatabase, device: StandInGPU) throws -> GPUAutotuner {
        GPUAutotuner(tuner: GPUTuner(profile: try GPUTunerTests.gpuMachine(), database: database, runner: device), limits: .sm90,
                     deviceName: Self.device)
    }

    static func request(maxError: Double = 0.01) -> Autotuner.Request {
        Autotuner.Request(workload: workload(), precisions: Precision.allCases, maxError: maxError, totalSeconds: 2, strategy: "auto")
    }

    @Test("the plan: GEMM layers merged by their product, integer weights for one-row layers only, the rest left to the CPU")
    func plan() {
        let plan = GPUAutotuner.plan(Self.request(), limits: .sm90)
        #expect(plan.unique.map(\.layer) == [.gemm(m: 1, n: 1024, k: 4096), .gemm(m: 64, n: 1024, k: 1024)])
        #expect(plan.unique.map(\.multiplicity) == [4, 2])
        #expect(plan.precisions == [[.fp32, .fp16, .bf16, .int8, .int4], [.fp32, .fp16, .bf16]])
        #expect(plan.onCPU.map(\.reason) == ["no GPU kernel computes a conv2d", "no GPU kernel computes a product of two activations"])
        #expect(plan.notes.contains { $0.hasPrefix("int8 is not tuned for 1 GPU layer(s)") })
        // K = 1000 has no int4 scale group of 32, 64 or 128: int4 is out for that layer, said why.
        var odd = Self.request()
        odd.workload.instances = [.init(name: "odd", layer: .gemm(m: 1, n: 512, k: 1000))]
        let oddPlan = GPUAutotuner.plan(odd, limits: .sm80)
        #expect(oddPlan.precisions == [[.fp32, .fp16, .bf16, .int8]])
        #expect(oddPlan.notes.contains { $0.contains("int4 is not tuned for gemm m=1 n=512 k=1000") && $0.contains("divides K=1000") })
    }

    @Test("tuned, judged and recorded: the fastest precision within the error limit is the GPU's choice, exported and answered by the runtime")
    func autotuneRecordsChoices() throws {
        let path = GPUTunerTests.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try TuningDatabase(path: path)
        let device = StandInGPU()
        let result = try Self.autotuner(database, device: device).run(Self.request(), inputs: { _, _, _ in NoData() })
        #expect(result.device == Self.device && result.onCPU.count == 2)
        let decode = try #require(result.layers.first)
        // int8 halves fp16's bytes within 1%; int4 (one scale per 128 weights) is above the limit.
        #expect(decode.winner?.precision == .int8)
        let int4 = try #require(decode.candidates.first { $0.precision == .int4 })
        #expect(int4.rejection?.contains("above the limit") == true && (int4.relativeError ?? 0) > 0.01)
        #expect(decode.candidates.first { $0.precision == .int8 }?.best?.kernel == "cuda-gemv")
        #expect(decode.candidates.first { $0.precision == .bf16 }?.best?.kernel == "cuda-gemm-wgmma")
        // fp16 and bf16 run alike: the more accurate wins.
        let prefill = result.layers[1]
        #expect(prefill.winner?.precision == .fp16 && prefill.winner?.best?.kernel == "cuda-gemm-wgmma")
        let errors = Dictionary(uniqueKeysWithValues: prefill.candidates.map { ($0.precision, $0.relativeError ?? -1) })
        #expect(errors[.fp32] == 0 && errors[.fp16]! > 0 && errors[.fp16]! < errors[.bf16]! && errors[.bf16]! < 0.01)
        #expect(result.defaultSeconds != nil && result.tunedSeconds! < result.defaultSeconds!)

        let choices = try database.choices(kernelLibraryVersion: KernelLibrary.version)
        #expect(Set(choices.map(\.layer)) == ["gemm m=1 n=1024 k=4096 on NVIDIA H200", "gemm m=64 n=1024 k=1024 on NVIDIA H200"])
        #expect(choices.first { $0.precision == "int8" }?.bestLayer == "gemm m=1 n=1024 k=4096 int8 on NVIDIA H200")

        // Deployed: the runtime answers the GPU with the choice, for the layer with its bias too.
        let profile = try GPUTunerTests.gpuMachine()
        let runtime = try TuningRuntime(store: database, machine: profile, warn: { _ in })
        let decodeAnswer = runtime.config(for: .gemm(m: 1, n: 1024, k: 4096), device: .gpu)
        #expect(decodeAnswer.step == .exact && decodeAnswer.precision == .int8 && decodeAnswer.kernel == "cuda-gemv")
        let biased = try runtime.config(for: "gemm m=64 n=1024 k=1024 bias", device: .gpu)
        #expect(biased.step == .exact && biased.precision == .fp16 && biased.kernel == "cuda-gemm-wgmma")
        #expect(runtime.config(for: .gemm(m: 64, n: 1024, k: 1024)).step != .exact, "the CPU has no record of it")

        let text = AutotuneReportText.render(result, maxError: 0.01)
        #expect(text.contains("on the NVIDIA H200 GPU of profile") && text.contains("cuda-gemv"))
        #expect(text.contains("left to the CPU: conv2d"))

        // Again: steps whose search measured 8 configurations (or the whole space) are reused;
        // those cut short by their share of the 2 s are searched again.
        var short = 0
        for best in try database.best(profileID: profile.id) {
            let measured = try database.trials(runID: best.runId).filter { $0.status == .ok }.count
            #expect(measured >= 3, "every step measures its default and two more")
            if measured < Autotuner.minimumTrials { short += 1 }
        }
        let again = StandInGPU()
        var reused = 0, retuned = 0
        let second = try Self.autotuner(database, device: again).run(Self.request(), inputs: { _, _, _ in NoData() }) { progress in
            if case .layerReused = progress { reused += 1 }
            if case .layerRetuned = progress { retuned += 1 }
        }
        #expect(reused == 8 - short && retuned == short)
        #expect(again.measured.isEmpty == (short == 0))
        #expect(second.layers.map { $0.winner?.precision } == [.int8, .fp16])
    }

    @Test("a fault that loses the CUDA context stops the autotune; the same command continues without the faulting configuration")
    func faultResumes() throws {
        let path = GPUTunerTests.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try TuningDatabase(path: path)
        let int8 = try CUDAGEMV(n: 1024, k: 4096, precision: .int8, limits: .sm90)
        let faulting = "cuda-gemv " + int8.space.completing(int8.defaultConfig).parameterText
        let first = StandInGPU(faulting: faulting)
        #expect(throws: TuneInterrupted.self) {
            try Self.autotuner(database, device: first).run(Self.request(), inputs: { _, _, _ in NoData() })
        }
        let second = StandInGPU()
        let result = try Self.autotuner(database, device: second).run(Self.request(), inputs: { _, _, _ in NoData() })
        #expect(!second.measured.contains(faulting))
        #expect(result.layers.allSatisfy { $0.winner != nil })
        let runs = try database.runs()
        #expect(runs.filter { $0.layer.hasSuffix("int8 on NVIDIA H200") }.count == 1, "the interrupted int8 run was resumed, not started again")
    }

    @Test("the GPU formats' error: inputs rounded by the GEMMs only, int8 exact on weights it represents")
    func precisionError() throws {
        // Weights in eighths are exact in fp16 and bf16; in 127ths, with a 1 in every output, exact
        // in int8 (scale 1/127). What remains is the output's rounding to fp32.
        let (k, n) = (256, 16)
        let weights = [LayerWeights(source: "eighths", rows: k, columns: n, values: (0..<(k * n)).map { Float(($0 * 7) % 17 - 8) / 8 })]
        let int8Exact = [LayerWeights(source: "127ths", rows: k, columns: n,
                                      values: (0..<(k * n)).map { $0 < n ? 1 : Float(($0 * 37) % 255 - 127) / 127 })]
        let gemv = Layer.gemm(m: 1, n: n, k: k), gemm = Layer.gemm(m: 8, n: n, k: k)
        #expect(try GPUPrecisionError.relativeError(layer: gemv, precision: .fp16, group: 128, weights: weights) < 1e-6)
        #expect(try GPUPrecisionError.relativeError(layer: gemv, precision: .int8, group: 128, weights: int8Exact) < 1e-6)
        #expect(try GPUPrecisionError.relativeError(layer: gemv, precision: .int8, group: 128, weights: weights) > 1e-4)
        let fp16 = try GPUPrecisionError.relativeError(layer: gemm, precision: .fp16, group: 128, weights: weights)
        let bf16 = try GPUPrecisionError.relativeError(layer: gemm, precision: .bf16, group: 128, weights: weights)
        #expect(fp16 > 1e-5 && fp16 < 1e-3, "the GEMM rounds its activations to fp16")
        #expect(bf16 > 4 * fp16 && bf16 < 1e-2)
        #expect(try GPUPrecisionError.relativeError(layer: gemm, precision: .fp32, group: 128, weights: weights) == 0)
        // Seeded weights without a model: int8 within 1%, int4 (7 levels a side) well above it.
        let seededInt8 = try GPUPrecisionError.relativeError(layer: gemv, precision: .int8, group: 128, weights: [])
        let seededInt4 = try GPUPrecisionError.relativeError(layer: gemv, precision: .int4, group: 128, weights: [])
        #expect(seededInt8 > 1e-4 && seededInt8 < 0.01 && seededInt4 > 0.03)
    }
}
