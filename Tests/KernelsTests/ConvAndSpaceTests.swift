import Foundation
@testable import Kernels
import Testing

@Suite("conv2d, parameter spaces and configurations")
struct ConvAndSpaceTests {
    static let team = ParallelTeam(size: 2)

    @Test("conv2d with stride, padding and dilation", arguments: [
        "1,3,9,11,5,3,3,1,0,1", "2,4,10,10,7,3,3,2,1,1", "1,5,13,13,6,3,3,1,2,2", "1,8,7,7,16,1,1", "1,2,5,5,3,5,5,1,2,1",
        "1,3,18,20,20,3,3,1,1", "1,6,17,34,33,3,3,2,1",
    ])
    func conv(_ shape: String) throws {
        let kernel = try Conv2DKernel(shape: Conv2DShape(parsing: shape), epilogue: Epilogue(bias: true, activation: .relu), limits: .typical)
        for overrides in [
            "layout=pk,chunk=0", "layout=pk,chunk=64,threads=2,loop=m", "layout=pk,pack_b=2,threads=2",
            "layout=kp,chunk=0", "layout=kp,chunk=64,threads=2,loop=m,pack_b=0", "layout=kp,pack_b=0,threads=2",
            "layout=kp,mr=6,nr=16,mc=24,kc=64,order=ir,threads=2",
            // Direct: rows of 16+ (the last vector overlapping), of 8 to 15 (two rows a vector,
            // an odd last one), of fewer (pixel by pixel); channel blocks of 16 with a partial last.
            "layout=direct,chunk=0", "layout=direct,chunk=0,threads=2",
        ] {
            let instance = try kernel.instantiate(try kernel.defaultConfig.applying(overrides: overrides), team: Self.team)
            instance.run()
            let result = instance.validate()
            #expect(result.passed, "\(shape) \(overrides): \(result)")
        }
    }

    @Test("conv2d's direct loops under every epilogue: none, bias, relu6 fused; gelu after the rows", arguments: ["1,3,18,20,20,3,3,1,1", "1,4,9,12,7,3,3,1,1,1"])
    func directEpilogues(_ shape: String) throws {
        for epilogue in [Epilogue.none, Epilogue(bias: true), Epilogue(bias: true, activation: .relu6), Epilogue(bias: true, activation: .gelu)] {
            let kernel = try Conv2DKernel(shape: Conv2DShape(parsing: shape), epilogue: epilogue, limits: .typical)
            let instance = try kernel.instantiate(try kernel.defaultConfig.applying(overrides: "layout=direct,chunk=0,threads=2"), team: Self.team)
            instance.run()
            let result = instance.validate()
            #expect(result.passed, "\(shape) \(epilogue): \(result)")
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
            KernelProblem(layer: try .depthwise(conv, epilogue: Epilogue(bias: true, activation: .gelu))),
        ]
        #expect(problems.map(\.kernel) == [.gemm, .gemv, .matmul, .conv2d, .dwconv2d])
        for problem in problems {
            #expect(try KernelProblem(key: problem.key, kernel: problem.kernel) == problem)
            #expect(try KernelCatalog.kernel(for: problem, limits: .typical).name == problem.kernel.rawValue)
        }
        #expect(problems[3].key == "conv2d n=1 c=64 h=56 w=56 k=64 r=3 s=3 stride=1 pad=1 dilation=1 bias relu int8")
        #expect(throws: KernelError.self) { try Layer.parse(key: "gemm m=32 n=4096") }
        #expect(throws: KernelError.self) { try Layer.parse(key: "softmax n=3") }
        #expect(problems[4].key == "dwconv2d n=1 c=64 h=56 w=56 k=64 r=3 s=3 stride=1 pad=1 dilation=1 bias gelu")
        #expect(throws: KernelError.self) { try KernelCatalog.kernel(for: KernelProblem(layer: .conv2d(conv), kernel: .gemm), limits: .typical) }
        #expect(throws: KernelError.self) { try KernelCatalog.kernel(for: KernelProblem(layer: .conv2d(conv), kernel: .dwconv2d), limits: .typical) }
    }

    @Test("depthwise conv: every configuration matches the direct reference across strides, pads, dilations and epilogues", arguments: [
        "1,8,9,11,8,3,3,1,1,1", "2,5,13,7,5,3,3,2,1,1", "1,4,16,16,4,5,5,1,4,2", "1,3,6,6,3,1,1,1,0,1", "1,6,10,10,6,3,3,3,0,1",
        // Rows of 16 lanes and more, whose last vector overlaps the one before (stride 1 and 2), and of 8 to 15.
        "1,3,40,37,3,3,3,2,1,1", "1,2,7,21,2,3,3,1,1,1", "1,2,9,24,2,3,3,2,1,1",
    ])
    func depthwise(shape text: String) throws {
        let shape = try Conv2DShape(parsing: text)
        for epilogue in [Epilogue.none, Epilogue(bias: true, activation: .relu), Epilogue(bias: true, activation: .relu6), Epilogue(bias: true, activation: .gelu)] {
            let kernel = try DepthwiseConv2DKernel(shape: shape, epilogue: epilogue, limits: .typical)
            let team = ParallelTeam(size: 2)
            for rows in [0, 1, 4] {
                for threads in [1, 2] {
                    let instance = try kernel.instantiate(try kernel.defaultConfig.applying(overrides: "rows=\(rows),threads=\(threads)"), team: team)
                    instance.run()
                    let validation = instance.validate()
                    #expect(validation.passed, "\(text) \(epilogue) rows=\(rows) threads=\(threads): \(validation)")
                }
            }
        }
        #expect(throws: KernelError.self) { try DepthwiseConv2DKernel(shape: shape, precision: .int8, limits: .typical) }
        #expect(throws: KernelError.self) { try Layer.depthwise(try Conv2DShape(parsing: "1,8,9,9,16,3,3")) }
    }

    @Test("depthwise conv bound to given weights computes their convolution")
    func depthwiseBound() throws {
        // 2 channels, 3x3 input, 2x2 filter, no padding: each output is a 2x2 window's dot product.
        let shape = try Conv2DShape(batch: 1, channels: 2, height: 3, width: 3, outChannels: 2, kernelHeight: 2, kernelWidth: 2)
        let kernel = try DepthwiseConv2DKernel(shape: shape, epilogue: Epilogue(bias: true), limits: .typical)
        let bound = try kernel.bind(kernel.defaultConfig, operands: LayerOperands(weights: [1, 0, 0, 1, 0, 1, 1, 0], bias: [10, 20]),
                                    team: ParallelTeam(size: 1))
        let input: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1]
        var output = [Float](repeating: .nan, count: 8)
        input.withUnsafeBufferPointer { x in output.withUnsafeMutableBufferPointer { y in bound.run(input: x.baseAddress!, output: y.baseAddress!) } }
        // Channel 0: x[i][j] + x[i+1][j+1] + 10; channel 1: x[i][j+1] + x[i+1][j] + 20.
        #expect(output == [16, 18, 22, 24, 34, 32, 28, 26])
    }

    @Test("grouped conv: one im2col + GEMM per group matches the direct reference in every packing and precision", arguments: [
        "1,8,9,9,12,3,3,1,1,1,4", "2,6,10,7,6,3,3,2,1,1,2", "1,16,8,8,32,1,1,1,0,1,8",
    ])
    func grouped(shape text: String) throws {
        let shape = try Conv2DShape(parsing: text)
        #expect(shape.groups > 1 && shape.reduction == shape.channels / shape.groups * shape.kernelHeight * shape.kernelWidth)
        let team = ParallelTeam(size: 1)
        for precision in [Precision.fp32, .int8] {
            let kernel = try Conv2DKernel(shape: shape, epilogue: Epilogue(bias: true, activation: .relu), precision: precision, limits: .typical)
            let layouts = precision == .fp32 ? ["layout=kp", "layout=kp,pack_b=0,chunk=64,threads=1"] : []
            for overrides in ["layout=pk,pack_b=1", "layout=pk,pack_b=2,chunk=64"] + layouts {
                let instance = try kernel.instantiate(try kernel.defaultConfig.applying(overrides: overrides), team: team)
                instance.run()
                let validation = instance.validate()
                #expect(validation.passed, "\(text) \(precision) \(overrides): \(validation)")
            }
        }
        let problem = KernelProblem(layer: .conv2d(shape))
        #expect(problem.key.hasSuffix("groups=\(shape.groups)"))
        #expect(try KernelProblem(key: problem.key, kernel: .conv2d) == problem)
        #expect(throws: KernelError.self) { try Conv2DShape(parsing: "1,8,9,9,12,3,3,1,1,1,3") }
    }

    @Test("conv2d's layout: channels x pixels for fp32 only; a configuration recorded before layout existed runs as pk")
    func convLayout() throws {
        let shape = try Conv2DShape(parsing: "1,4,6,6,8,3,3,1,1")
        let int8 = try Conv2DKernel(shape: shape, precision: .int8, limits: .typical)
        #expect(int8.defaultConfig.text("layout") == "pk")
        #expect(int8.space.violations(try int8.defaultConfig.applying(overrides: "layout=kp")).contains { $0.contains("layout=kp is not one of pk") })
        let fp32 = try Conv2DKernel(shape: shape, limits: .typical)
        #expect(fp32.defaultConfig.text("layout") == (GEMMKernel.wideVectors ? "direct" : "kp"))
        #expect(fp32.space.violations(try fp32.defaultConfig.applying(overrides: "layout=kp,chunk=256,pack_b=2")).contains { $0.contains("layout=kp: pack_a=1") })
        // The direct loops take no GEMM parameters and no chunk; not offered with groups.
        #expect(fp32.space.violations(try fp32.defaultConfig.applying(overrides: "layout=direct,chunk=64")).contains { $0.contains("layout=direct: chunk=0") })
        #expect(fp32.space.violations(try fp32.defaultConfig.applying(overrides: "layout=direct,chunk=0,mr=6,nr=16")).contains { $0.contains("layout=direct") })
        let grouped = try Conv2DKernel(shape: try Conv2DShape(parsing: "1,4,6,6,8,3,3,1,1,1,2"), limits: .typical)
        #expect(grouped.space.violations(try grouped.defaultConfig.applying(overrides: "layout=direct,chunk=0")).contains { $0.contains("layout=direct is not one of") })
        #expect(grouped.defaultConfig.text("layout") == "kp")
        #expect(fp32.space.violations(try fp32.defaultConfig.applying(overrides: "layout=pk,pack_b=0")).contains { $0.contains("layout=pk: pack_b") })
        var recorded = try fp32.defaultConfig.applying(overrides: "layout=pk")
        recorded.values["layout"] = nil
        let instance = try fp32.instantiate(recorded, team: Self.team)
        instance.run()
        #expect(instance.validate().passed)
        #expect((instance as? Conv2DInstance)?.channelMajor.isEmpty == true)
    }

    @Test("a conv shape written without groups reads as one group")
    func shapeWithoutGroups() throws {
        let json = #"{"batch":1,"channels":8,"height":9,"width":9,"outChannels":4,"kernelHeight":3,"kernelWidth":3,"stride":1,"padding":1,"dilation":1}"#
        let shape = try JSONDecoder().decode(Conv2DShape.self, from: Data(json.utf8))
        let expected = try Conv2DShape(parsing: "1,8,9,9,4,3,3,1,1,1")
        #expect(shape.groups == 1 && shape == expected)
        let grouped = try Conv2DShape(parsing: "1,8,9,9,4,3,3,1,1,1,2")
        let decoded = try JSONDecoder().decode(Conv2DShape.self, from: try JSONEncoder().encode(grouped))
        #expect(decoded == grouped)
    }
}
