@testable import Kernels
import Testing

@Suite("conv2d, parameter spaces and configurations")
struct ConvAndSpaceTests {
    static let team = ParallelTeam(size: 2)

    @Test("conv2d with stride, padding and dilation", arguments: [
        "1,3,9,11,5,3,3,1,0,1", "2,4,10,10,7,3,3,2,1,1", "1,5,13,13,6,3,3,1,2,2", "1,8,7,7,16,1,1", "1,2,5,5,3,5,5,1,2,1",
    ])
    func conv(_ shape: String) throws {
        let kernel = try Conv2DKernel(shape: Conv2DShape(parsing: shape), epilogue: Epilogue(bias: true, activation: .relu), limits: .typical)
        for overrides in ["chunk=0", "chunk=64,threads=2,loop=m", "pack_b=2,threads=2"] {
            let instance = try kernel.instantiate(try kernel.defaultConfig.applying(overrides: overrides), team: Self.team)
            instance.run()
            let result = instance.validate()
            #expect(result.passed, "\(shape) \(overrides): \(result)")
        }
    }

    @Test("conv2d output size and bad shapes")
    func convShape() throws {
        let shape = try Conv2DShape(parsing: "1,3,224,224,64,7,7,2,3")
        #expect(shape.outHeight == 112 && shape.outWidth == 112)
        #expect(shape.reduction == 3 * 7 * 7)
        #expect(throws: KernelError.self) { try Conv2DShape(parsing: "1,3,4,4,8,7,7") }  // kernel larger than input
        #expect(throws: KernelError.self) { try Conv2DShape(parsing: "1,3,4") }
    }

    @Test("configurations outside the space are rejected with the reason", arguments: [
        ("mr=5", "mr=5 is not one of"),
        ("mr=6,mc=16", "violates mc % mr == 0"),
        ("kc=512", "fits in half of L1d"),
        ("tile=3", "unknown parameter \"tile\""),
        ("mr=8,nr=16", "is a micro-kernel"),
        ("threads=9", "threads=9 is not one of"),
    ])
    func gemmConstraints(overrides: String, reason: String) throws {
        let kernel = try GEMMKernel(m: 64, n: 64, k: 64, limits: .typical)
        let config = try kernel.defaultConfig.applying(overrides: overrides)
        let violations = kernel.space.violations(config)
        #expect(violations.contains { $0.contains(reason) }, "\(overrides): \(violations)")
        #expect(throws: KernelError.self) { try kernel.instantiate(config, team: Self.team) }
    }

    @Test("the default configurations are valid")
    func defaultsValid() throws {
        let gemm = try GEMMKernel(m: 100, n: 100, k: 100, precision: .int8, limits: .typical)
        #expect(gemm.space.violations(gemm.defaultConfig).isEmpty)
        let gemv = try GEMVKernel(m: 3, n: 100, k: 100, precision: .int4, limits: .typical)
        #expect(gemv.space.violations(gemv.defaultConfig).isEmpty)
        let conv = try Conv2DKernel(shape: Conv2DShape(parsing: "1,3,8,8,4,3,3"), limits: .typical)
        #expect(conv.space.violations(conv.defaultConfig).isEmpty)
    }

    @Test("skinny-path and precision limits")
    func otherRejections() throws {
        #expect(throws: KernelError.self) { try GEMVKernel(m: 17, n: 8, k: 8, limits: .typical) }
        let gemv = try GEMVKernel(m: 2, n: 8, k: 8, limits: .typical)
        #expect(!gemv.space.violations(try gemv.defaultConfig.applying(overrides: "mb=4,nb=4")).isEmpty)
        let int8 = try GEMMKernel(m: 32, n: 32, k: 32, precision: .int8, limits: .typical)
        #expect(int8.space.violations(try int8.defaultConfig.applying(overrides: "pack_b=0")).contains { $0.contains("pack_b=0") })
        let small = ParallelTeam(size: 1)
        let gemm = try GEMMKernel(m: 8, n: 8, k: 8, limits: .typical)
        #expect(throws: KernelError.self) { try gemm.instantiate(try gemm.defaultConfig.applying(overrides: "threads=2"), team: small) }
    }

    @Test("configuration text round trip")
    func configText() throws {
        let config = try KernelConfig(kernel: "gemm").applying(overrides: "mr=6, loop=n,kc=256")
        #expect(config.description == "gemm kc=256,loop=n,mr=6")
        #expect(config.int("mr") == 6 && config.text("loop") == "n")
        #expect(throws: KernelError.self) { try config.applying(overrides: "mr") }
    }

    @Test("layer keys are canonical")
    func signatures() throws {
        #expect(KernelProblem(layer: .gemm(m: 32, n: 4096, k: 4096, epilogue: Epilogue(bias: true, activation: .relu)), kernel: .gemm).key
                == "gemm m=32 n=4096 k=4096 bias relu")
        #expect(KernelProblem(layer: .gemm(m: 1, n: 8, k: 8), precision: .int8, kernel: .gemv).key == "gemm m=1 n=8 k=8 int8")
    }

    @Test("layer keys parse back to the same problem; the factory builds the kernel each names")
    func keysRoundTrip() throws {
        let conv = try Conv2DShape(batch: 1, channels: 64, height: 56, width: 56, outChannels: 64, kernelHeight: 3, kernelWidth: 3, padding: 1)
        let problems = [
            KernelProblem(layer: .gemm(m: 32, n: 4096, k: 4096, epilogue: Epilogue(bias: true, activation: .gelu)), precision: .bf16),
            KernelProblem(layer: .gemm(m: 1, n: 8, k: 8), precision: .int4),
            KernelProblem(layer: .matmul(m: 16, n: 16, k: 64)),
            KernelProblem(layer: .conv2d(conv, epilogue: Epilogue(bias: true, activation: .relu)), precision: .int8),
        ]
        #expect(problems.map(\.kernel) == [.gemm, .gemv, .matmul, .conv2d])
        for problem in problems {
            #expect(try KernelProblem(key: problem.key, kernel: problem.kernel) == problem)
            #expect(try KernelCatalog.kernel(for: problem, limits: .typical).name == problem.kernel.rawValue)
        }
        #expect(problems[3].key == "conv2d n=1 c=64 h=56 w=56 k=64 r=3 s=3 stride=1 pad=1 dilation=1 bias relu int8")
        #expect(throws: KernelError.self) { try Layer.parse(key: "gemm m=32 n=4096") }
        #expect(throws: KernelError.self) { try Layer.parse(key: "softmax n=3") }
        #expect(throws: KernelError.self) { try KernelCatalog.kernel(for: KernelProblem(layer: .conv2d(conv), kernel: .gemm), limits: .typical) }
    }
}
