import CUDALibraries
import GPUKernels
import KernelModel
import Kernels
import Testing

@Suite("GPU parameter spaces")
struct GPUSpaceTests {
    @Test("GEMM spaces keep every configuration within the device's threads and shared memory")
    func gemmLimits() throws {
        for limits in [GPULimits.sm80, .sm90] {
            let f32 = CUDAGEMMF32(m: 4096, n: 4096, k: 4096, limits: limits)
            let tensor = try CUDAGEMMTensorCore(m: 4096, n: 4096, k: 4096, precision: .fp16, limits: limits)
            for family in [f32, tensor] as [any GPUKernelFamily] {
                let all = family.allConfigurations()
                #expect(!all.isEmpty)
                for config in all {
                    let shape = family.launch(config)
                    #expect(shape.threads >= 64 && shape.threads <= 512 && shape.threads % 32 == 0)
                    #expect(shape.sharedBytes <= limits.sharedMemoryPerBlockBytes)
                    #expect(shape.grid.0 * config.int("BN")! >= 4096 && shape.grid.1 * config.int("BM")! >= 4096)
                }
            }
            // A device with 48 KiB per block loses the deep pipelines the H200 can hold.
            var small = limits
            small.sharedMemoryPerBlockBytes = 48 * 1024
            let smallSpace = try CUDAGEMMTensorCore(m: 4096, n: 4096, k: 4096, precision: .fp16, limits: small).allConfigurations()
            #expect(smallSpace.count < tensor.allConfigurations().count)
            #expect(smallSpace.allSatisfy { ($0.int("BM")! + $0.int("BN")!) * ($0.int("BK")! + 8) * 2 * $0.int("STAGES")! <= 48 * 1024 })
        }
    }

    @Test("derived parameters follow the problem: scalar loads when K is not a multiple of 4; LN from the warp tile")
    func derived() {
        let aligned = CUDAGEMMF32(m: 64, n: 64, k: 64, limits: .sm90)
        let odd = CUDAGEMMF32(m: 64, n: 64, k: 63, limits: .sm90)
        #expect(aligned.defaultConfig.int("VEC") == 4)
        #expect(odd.defaultConfig.int("VEC") == 1)
        #expect(aligned.defaultConfig.int("LN") == 8)  // WN 32 / TN 4
        let defines = aligned.defines(aligned.defaultConfig)
        #expect(defines == ["BM": 128, "BN": 128, "BK": 16, "WM": 64, "WN": 32, "TM": 8, "TN": 4, "STAGES": 2, "LN": 8, "VEC": 4])
        let launch = aligned.launch(aligned.defaultConfig)
        #expect(launch.threads == 256 && launch.grid.0 == 1 && launch.sharedBytes == 2 * 16 * (128 + 128 + 8) * 4)
        var wrong = aligned.defaultConfig
        wrong["WM"] = .int(256)
        #expect(aligned.space.violations(wrong).contains { $0.contains("WM") })
    }

    @Test("tensor cores need compute capability 8.0, fp16 or bf16 and K % 8 == 0: refused in one line")
    func tensorCoreRefusals() {
        var volta = GPULimits.sm80
        volta.computeCapabilityMajor = 7
        #expect(throws: GPUError.self) { try CUDAGEMMTensorCore(m: 64, n: 64, k: 64, precision: .fp16, limits: volta) }
        #expect(throws: GPUError.self) { try CUDAGEMMTensorCore(m: 64, n: 64, k: 60, precision: .fp16, limits: .sm90) }
        #expect(throws: GPUError.self) { try CUDAGEMMTensorCore(m: 64, n: 64, k: 64, precision: .int8, limits: .sm90) }
        do {
            _ = try CUDAGEMMTensorCore(m: 64, n: 64, k: 60, precision: .fp16, limits: .sm90)
        } catch let error as GPUError {
            #expect(error.code == .unsupported && error.message.contains("multiple of 8") && error.message.contains("60"))
        } catch { Issue.record("\(error)") }
    }

    @Test("the wgmma GEMM: Hopper (9.0) only, sm_90a code, tiles within shared memory and 128 accumulators a thread")
    func hopperSpace() throws {
        #expect(throws: GPUError.self) { try CUDAGEMMHopper(m: 64, n: 64, k: 64, precision: .fp16, limits: .sm80) }
        #expect(throws: GPUError.self) { try CUDAGEMMHopper(m: 64, n: 64, k: 60, precision: .fp16, limits: .sm90) }
        #expect(throws: GPUError.self) { try CUDAGEMMHopper(m: 64, n: 64, k: 64, precision: .fp32, limits: .sm90) }
        let family = try CUDAGEMMHopper(m: 4096, n: 4096, k: 4096, precision: .bf16, limits: .sm90)
        #expect(try family.compileTarget(for: .real(90)) == .architectureSpecific(90))
        #expect(throws: GPUError.self) { try family.compileTarget(for: .real(100)) }
        let all = family.allConfigurations()
        #expect(all.contains(family.defaultConfig) && all.count >= 20)
        for config in all {
            let shape = family.launch(config)
            let rows = 64 * config.int("MT")! * config.int("CONSUMERS")!
            #expect(config.int("MT")! * config.int("BN")! <= 256 && config.int("BF16") == 1)
            #expect(shape.threads == 128 * (config.int("CONSUMERS")! + 1))
            #expect(shape.sharedBytes <= GPULimits.sm90.sharedMemoryPerBlockBytes)
            #expect(shape.sharedBytes >= config.int("STAGES")! * (rows + config.int("BN")!) * 64 * 2 + 1024)
            #expect(shape.grid.0 == 4096 / config.int("BN")! && shape.grid.1 == 4096 / rows)
        }
        // The default: 128 x 256 tiles, four stages (192 KiB and the alignment slack).
        let shape = family.launch(family.defaultConfig)
        #expect(shape.threads == 384 && shape.grid.0 == 16 && shape.grid.1 == 32 && shape.sharedBytes == 4 * (384 * 128 + 16) + 1024)
        // Hopper gets wgmma for fp16/bf16 GEMMs; other GPUs and one-row fp16 get theirs.
        let gemm = Layer.gemm(m: 512, n: 4096, k: 4096)
        #expect(GPUDefaults.kernel(for: gemm, precision: .fp16, computeCapability: "9.0") == "cuda-gemm-wgmma")
        #expect(GPUDefaults.kernel(for: gemm, precision: .fp16, computeCapability: "8.0") == "cuda-gemm-tc")
        #expect(GPUDefaults.kernel(for: gemm, precision: .bf16) == "cuda-gemm-tc")
        #expect(GPUDefaults.kernel(for: Layer.gemm(m: 1, n: 4096, k: 4096), precision: .fp16, computeCapability: "9.0") == "cuda-gemv")
    }

    @Test("GEMV: int4 loads stay within one scale group; rows stay aligned to the load width")
    func gemvConstraints() throws {
        let int4 = try CUDAGEMV(n: 4096, k: 4096, precision: .int4, group: 32, limits: .sm90)
        // 16-byte loads hold 32 int4 weights: one group of 32. 8-byte loads: 16.
        #expect(int4.allConfigurations().allSatisfy { 32 % (Int($0.int("VEC")!) * 2) == 0 })
        let fp16 = try CUDAGEMV(n: 100, k: 1000, precision: .fp16, limits: .sm90)  // rows of 2000 bytes
        #expect(fp16.allConfigurations().allSatisfy { 2000 % $0.int("VEC")! == 0 && 1000 % ($0.int("VEC")! / 2) == 0 })
        #expect(fp16.defaultConfig.int("VEC") == 16)
        #expect(fp16.space.isValid(fp16.defaultConfig))
        #expect(fp16.launch(fp16.defaultConfig).grid.0 == (100 + 15) / 16)  // 8 warps x 2 rows
        #expect(throws: GPUError.self) { try CUDAGEMV(n: 64, k: 4096, precision: .int4, group: 100, limits: .sm90) }
        #expect(throws: GPUError.self) { try CUDAGEMV(n: 64, k: 4096, precision: .fp32, limits: .sm90) }
        let int8 = try CUDAGEMV(n: 14336, k: 4096, precision: .int8, limits: .sm90)
        let weightBytes: Double = 14336 * 4096
        let scaleAndVectorBytes: Double = 4 * 14336 + 4 * (4096 + 14336)
        #expect(int8.minimumBytes == weightBytes + scaleAndVectorBytes)
    }
}
