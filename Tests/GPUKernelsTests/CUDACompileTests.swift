import CUDALibraries
import Foundation
import GPUKernels
import KernelModel
import Kernels
import Testing

/// NVRTC runs without a GPU: every configuration of every GPU space is compiled here for the
/// A100's and H100/H200's architectures. `scripts/test` installs NVRTC from PyPI and sets
/// TUNEBENCH_REQUIRE_NVRTC=1, so there a missing NVRTC fails instead of skipping.
enum NVRTCAvailability {
    static let compiler: NVRTC? = try? NVRTC.shared()
    static let required = ProcessInfo.processInfo.environment["TUNEBENCH_REQUIRE_NVRTC"] == "1"
    static var enabled: Bool { compiler != nil || required }
}

@Suite("GPU kernels compile with NVRTC", .enabled(if: NVRTCAvailability.enabled, "NVRTC not found: set TUNEBENCH_NVRTC (scripts/test installs the nvidia-cuda-nvrtc-cu12 wheel)"))
struct CUDACompileTests {
    static func families(limits: GPULimits) throws -> [any GPUKernelFamily] {
        [
            CUDAGEMMF32(m: 4096, n: 4096, k: 4096, limits: limits),
            // K not a multiple of 4: scalar loads (VEC=1) and edge tiles everywhere.
            CUDAGEMMF32(m: 1000, n: 333, k: 1001, limits: limits),
            try CUDAGEMMTensorCore(m: 4096, n: 4096, k: 4096, precision: .fp16, limits: limits),
            try CUDAGEMMTensorCore(m: 4096, n: 4096, k: 4096, precision: .bf16, limits: limits),
            try CUDAGEMV(n: 4096, k: 4096, precision: .fp16, limits: limits),
            try CUDAGEMV(n: 14336, k: 4096, precision: .int8, limits: limits),
            try CUDAGEMV(n: 4096, k: 4096, precision: .int4, group: 32, limits: limits),
            try CUDAGEMV(n: 4096, k: 4096, precision: .int4, group: 128, limits: limits),
        ] + (CUDAGEMMHopper.runs(on: limits) ? [
            try CUDAGEMMHopper(m: 4096, n: 4096, k: 4096, precision: .fp16, limits: limits),
            try CUDAGEMMHopper(m: 4096, n: 4096, k: 4096, precision: .bf16, limits: limits),
        ] : [])
    }

    /// The compile cache of `scripts/test` (TUNEBENCH_CUDA_CACHE): its keys hold the source, the
    /// defines, the target and NVRTC's version, so a hit is this very compilation's result.
    static var cache: URL? { ProcessInfo.processInfo.environment["TUNEBENCH_CUDA_CACHE"].map { URL(fileURLWithPath: $0) } }

    /// sm_90 (H100/H200) as machine code, so ptxas's register and shared-memory checks run too;
    /// sm_80 (A100) as PTX, what the driver compiles at load.
    @Test("every configuration of every GPU space compiles to PTX for sm_80 and sm_90 (with machine code for sm_90), or is refused with NVRTC's message",
          arguments: [(GPULimits.sm80, CompileTarget.virtual(80)), (GPULimits.sm90, CompileTarget.real(90))])
    func everyConfiguration(limits: GPULimits, target: CompileTarget) throws {
        let nvrtc = try NVRTC.shared()
        let compiler = CUDACompiler(nvrtc: nvrtc, cacheDirectory: Self.cache)
        #expect(nvrtc.target(computeCapability: limits.computeCapabilityMajor, limits.computeCapabilityMinor) == .real(limits.architecture),
                "NVRTC \(nvrtc.versionText) compiles machine code for sm_\(limits.architecture)")
        for family in try Self.families(limits: limits) {
            let configurations = family.allConfigurations()
            #expect(configurations.count >= 8, "\(family.kernel): a space worth searching")
            #expect(configurations.contains(family.defaultConfig), "\(family.kernel): the default is in the space")
            let outcomes = Outcomes()
            DispatchQueue.concurrentPerform(iterations: configurations.count) { index in
                let config = configurations[index]
                do {
                    // The wgmma GEMM compiles for sm_90a, the others for `target`.
                    let familyTarget = try family.compileTarget(for: target)
                    let compiled = try compiler.compile(family.source, defines: family.defines(config), target: familyTarget)
                    let complete = !compiled.ptx.isEmpty && (!familyTarget.isMachineCode || compiled.cubin?.isEmpty == false)
                    // The spaces' register constraints are there so that nothing spills on sm_90.
                    let spills = familyTarget.isMachineCode ? compiled.spillBytes : 0
                    outcomes.add(config, !complete ? "no PTX or no machine code" : spills == nil ? "no ptxas report" : spills! > 0 ? "spills \(spills!) bytes" : nil)
                } catch let error as GPUError {
                    outcomes.add(config, error.code == .compileFailed && error.message.contains(family.source.name) ? "refused: \(error.message)" : "unexpected: \(error)")
                } catch {
                    outcomes.add(config, "unexpected: \(error)")
                }
            }
            let problems = outcomes.problems
            // A refusal is allowed only with NVRTC's message; none is expected of these spaces.
            #expect(problems.isEmpty, "\(family.kernel) sm_\(limits.architecture): \(problems.count) of \(configurations.count) did not compile: \(problems.prefix(3))")
            print("\(family.kernel) \(family.source.name) \((try? family.compileTarget(for: target)) ?? target): \(configurations.count) configurations compiled")
        }
    }

    @Test("a source NVRTC refuses fails with its file, line and message; the refusal is cached")
    func refusedSourceIsCached() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tunebench-cuda-cache-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let compiler = CUDACompiler(nvrtc: try NVRTC.shared(), cacheDirectory: directory)
        let broken = CUDASource(name: "broken.cu", text: "extern \"C\" __global__ void k(float* x) {\n  x[0] = undefined_name;\n}\n")
        for round in 0..<2 {
            do {
                _ = try compiler.compile(broken, defines: ["TILE": 4], target: .virtual(80))
                Issue.record("a source with an undefined name compiled")
            } catch let error as GPUError {
                #expect(error.code == .compileFailed)
                #expect(error.message.contains("broken.cu(2)"), "names the file and line: \(error.message)")
                #expect(error.message.contains("undefined_name"))
                #expect(error.message.contains("-DTILE=4"))
                if round == 1 { #expect(error.message.contains("cached")) }
            }
        }
        #expect(compiler.statistics.compilations == 1)
        #expect(compiler.statistics.hits == 1)

        // A good source compiles once, then comes from the cache byte for byte.
        let good = CUDASource(name: "good.cu", text: "extern \"C\" __global__ void k(float* x) { x[threadIdx.x] = TILE; }\n")
        let first = try compiler.compile(good, defines: ["TILE": 4], target: .real(90))
        let second = try compiler.compile(good, defines: ["TILE": 4], target: .real(90))
        #expect(first.cubin == second.cubin)
        #expect(compiler.statistics.compilations == 2)
        let other = try compiler.compile(good, defines: ["TILE": 8], target: .real(90))
        #expect(other.cubin != first.cubin, "another define is another kernel")
    }

    @Test("ptxas's report gives the spills: a kernel with a large local array spills, a small one does not")
    func spillReport() throws {
        let compiler = CUDACompiler(nvrtc: try NVRTC.shared(), cacheDirectory: nil)
        let small = try compiler.compile(CUDASource(name: "small.cu", text: "extern \"C\" __global__ void k(float* x) { x[threadIdx.x] *= 2.0f; }\n"),
                                         defines: [:], target: .real(90))
        #expect(small.spillBytes == 0)
        // 300 live values across a loop the compiler cannot shorten: more than 255 registers.
        let big = try compiler.compile(CUDASource(name: "big.cu", text: """
            extern "C" __global__ void k(float* x, int n) {
                float v[300];
            #pragma unroll
                for (int i = 0; i < 300; ++i) v[i] = x[i * 32 + threadIdx.x];
                for (int r = 0; r < n; ++r) {
            #pragma unroll
                    for (int i = 0; i < 300; ++i) v[i] = v[i] * v[(i + 1) % 300] + 1.0f;
                }
            #pragma unroll
                for (int i = 0; i < 300; ++i) x[i * 32 + threadIdx.x] = v[i];
            }
            """), defines: [:], target: .real(90))
        #expect((big.spillBytes ?? 0) > 0, "\(big.log)")
        #expect(try compiler.compile(.roofline, defines: [:], target: .virtual(90)).spillBytes == nil)
    }

    @Test("the roofline kernels compile with and without tensor cores")
    func rooflineCompiles() throws {
        let compiler = CUDACompiler(nvrtc: try NVRTC.shared(), cacheDirectory: nil)
        for target in [CompileTarget.real(80), .real(90), .virtual(80)] {
            let compiled = try compiler.compile(.roofline, defines: [:], target: target)
            let ptx = String(decoding: compiled.ptx, as: UTF8.self)
            for entry in ["copy_f32", "triad_f32", "fma_f32", "mma_f16", "mma_bf16"] {
                #expect(ptx.contains(".entry \(entry)"), "\(entry) in the PTX for \(target)")
            }
            #expect(ptx.contains("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"))
        }
    }
}

/// Results gathered from concurrent compiles.
final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [String] = []

    func add(_ config: KernelConfig, _ problem: String?) {
        guard let problem else { return }
        lock.lock()
        failures.append("\(config.parameterText): \(problem)")
        lock.unlock()
    }

    var problems: [String] {
        lock.lock()
        defer { lock.unlock() }
        return failures.sorted()
    }
}
