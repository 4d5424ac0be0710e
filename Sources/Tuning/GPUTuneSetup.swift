import CUDALibraries
import Foundation
import GPUKernels
import KernelModel
import Kernels
import ModelEngine
import Synchronization
import TunebenchCore

/// What `tune --gpu` and `tune --cuda` ask for, turned into the kernel to tune, its inputs and
/// its record's layer text: the CLI parses, this decides.
public struct GPUTuneSetup: Sendable {
    /// A user's kernel as `tune --cuda` describes it (docs/gpu.md).
    public struct UserKernel: Sendable {
        public var sourceFile: String
        public var parameters: [String]
        public var constraints: [String]
        public var problem: String
        public var arguments: [String]
        public var block: String?
        public var grid: String
        public var flops: String?
        /// "NAME=FILE" expected outputs.
        public var references: [String]
        public var tolerance: Double

        public init(sourceFile: String, parameters: [String], constraints: [String], problem: String, arguments: [String],
                    block: String?, grid: String, flops: String?, references: [String], tolerance: Double) {
            self.sourceFile = sourceFile
            self.parameters = parameters
            self.constraints = constraints
            self.problem = problem
            self.arguments = arguments
            self.block = block
            self.grid = grid
            self.flops = flops
            self.references = references
            self.tolerance = tolerance
        }
    }

    /// gemm or gemv (tunebench's kernels), or the user kernel's function name.
    public var kernel: String
    public var shape: String?
    public var precision: Precision
    public var user: UserKernel?

    public init(kernel: String, shape: String?, precision: Precision, user: UserKernel?) {
        self.kernel = kernel
        self.shape = shape
        self.precision = precision
        self.user = user
    }

    /// The kernel to tune on a device with `limits`, and its layer key (without the GPU's name).
    public func family(limits: GPULimits) throws -> (any GPUKernelFamily, String) {
        if let user {
            let family = try CUDAUserKernel(sourceFile: user.sourceFile, kernel: kernel, parameters: user.parameters,
                                            constraints: user.constraints, problem: user.problem, arguments: user.arguments,
                                            block: user.block, grid: user.grid, flops: user.flops)
            return (family, "cuda \((user.sourceFile as NSString).lastPathComponent):\(kernel) \(user.problem)")
        }
        let (m, n, k) = try dimensions()
        // The layer key as CPU records write it: GPU records deploy through the same artifact.
        let layer = Layer.gemm(m: m, n: n, k: k).key(precision: precision)
        let name: String
        switch kernel {
        case "gemm":
            // Hopper's tensor cores are fed by wgmma and TMA; mma.sync elsewhere, or when asked.
            name = precision == .fp32 ? "cuda-gemm-f32" : CUDAGEMMHopper.runs(on: limits) ? "cuda-gemm-wgmma" : "cuda-gemm-tc"
        case "gemm-mma": name = "cuda-gemm-tc"
        case "gemv":
            guard m == 1 else { throw OptionError("--shape \(shape ?? ""): the GPU gemv computes one row (M = 1), not \(m)") }
            name = "cuda-gemv"
        default:
            throw OptionError("--gpu tunes gemm, gemm-mma (fp16/bf16 on mma.sync, also on Hopper) or gemv, not \(kernel)")
        }
        return (try GPULayerKernels.family(kernel: name, m: m, n: n, k: k, precision: precision, limits: limits), layer)
    }

    func dimensions() throws -> (Int, Int, Int) {
        guard let shape else { throw OptionError("--gpu needs --shape MxNxK") }
        let dims = shape.lowercased().split(separator: "x").compactMap { Int($0) }
        guard dims.count == 3, dims.allSatisfy({ $0 > 0 }) else { throw OptionError("--shape \(shape): expected MxNxK") }
        return (dims[0], dims[1], dims[2])
    }

    /// A device's limits from an architecture name (`--arch sm_90`), for compiling without one.
    public static func limits(architecture: String?) throws -> GPULimits {
        guard let architecture else { return .sm90 }
        let digits = architecture.lowercased().replacingOccurrences(of: "sm_", with: "").replacingOccurrences(of: "compute_", with: "")
        guard let number = Int(digits), number >= 50 else { throw OptionError("--arch \(architecture): expected sm_XY, e.g. sm_90") }
        var limits = number >= 90 ? GPULimits.sm90 : GPULimits.sm80
        (limits.computeCapabilityMajor, limits.computeCapabilityMinor) = (number / 10, number % 10)
        if number < 80 { limits.sharedMemoryPerBlockBytes = 48 * 1024 }
        return limits
    }

    /// Every configuration of `family` through `compiler`, on every core (NVRTC compiles in
    /// parallel): how many compiled, and the refused ones with the compiler's message, in the
    /// space's order.
    public static func compileAll(_ family: any GPUKernelFamily, compiler: CUDACompiler, target: CompileTarget) -> (compiled: Int, refused: [(String, String)]) {
        let configurations = family.allConfigurations()
        let failures = Mutex([Int: String]())
        DispatchQueue.concurrentPerform(iterations: configurations.count) { index in
            do {
                _ = try compiler.compile(family.source, defines: family.defines(configurations[index]), target: family.compileTarget(for: target))
            } catch {
                failures.withLock { $0[index] = "\(error)" }
            }
        }
        let refused = failures.withLock { $0 }.sorted { $0.key < $1.key }.map { (configurations[$0.key].parameterText, $0.value) }
        return (configurations.count - refused.count, refused)
    }

    /// The family's inputs on the device.
    public func data(for family: any GPUKernelFamily, context: CUDAContext) throws -> any GPUProblemData {
        switch family {
        case let userFamily as CUDAUserKernel:
            var references: [String: [Float]] = [:]
            for item in user?.references ?? [] {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw OptionError("--reference \(item): expected NAME=FILE") }
                guard let argument = userFamily.arguments.first(where: { $0.name == parts[0] }) else {
                    throw OptionError("--reference \(item): \(parts[0]) is not an argument of \(kernel)")
                }
                references[parts[0]] = try Self.readReference(path: parts[1], argument: argument)
            }
            return try UserKernelData(context: context, family: userFamily, references: references, tolerance: user?.tolerance ?? 1e-6)
        case let gemv as CUDAGEMV:
            return try GEMVData(context: context, family: gemv)
        default:
            let (m, n, k) = try dimensions()
            return try GEMMData(context: context, m: m, n: n, k: k, precision: precision)
        }
    }

    /// A reference output: a `.npy` file (what `tunebench run` reads: float or integer dtypes) or
    /// raw little-endian values of the argument's type.
    public static func readReference(path: String, argument: CUDAUserKernel.Argument) throws -> [Float] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FileError(path: path, message: "cannot be read (\(error.localizedDescription))")
        }
        if data.starts(with: [0x93] + Array("NUMPY".utf8)) { return try NPYFile.load(path: path).data }
        guard let values = argument.decodeRaw([UInt8](data)) else {
            throw FileError(path: path, message: "\(data.count) bytes is not a whole number of \(argument.type) values")
        }
        return values
    }
}
