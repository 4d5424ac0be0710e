import CUDALibraries
import Kernels
import KernelModel

/// One tunable GPU kernel for one problem on one kind of device: its CUDA source, the space of
/// its `-D` parameters with their constraints, and how a configuration is launched. The
/// configurations are `KernelConfig`s, as on the CPU, so searches, trials and the database
/// treat both alike.
public protocol GPUKernelFamily: Sendable {
    /// The database's kernel name, e.g. "cuda-gemm-f32".
    var kernel: String { get }
    var source: CUDASource { get }
    /// The `extern "C"` function to launch.
    var entry: String { get }
    var space: ParameterSpace { get }
    /// A sound configuration without tuning.
    var defaultConfig: KernelConfig { get }
    /// Floating-point operations of one run (a multiply-add counts 2).
    var flops: Double { get }
    /// Bytes one run must move to or from device memory at least.
    var minimumBytes: Double { get }
    /// The defines NVRTC gets for a (complete) configuration.
    func defines(_ config: KernelConfig) -> [String: Int]
    func launch(_ config: KernelConfig) -> LaunchShape
    /// What NVRTC compiles for on a device whose own target is `deviceTarget` (a kernel using
    /// an architecture's own instructions asks for `sm_XYa`); throws where it cannot run.
    func compileTarget(for deviceTarget: CompileTarget) throws -> CompileTarget
    /// The launch's arguments for `config`: the data's, unless the kernel needs more (tensor
    /// maps whose boxes are the configuration's tiles).
    func arguments(_ config: KernelConfig, data: any GPUProblemData, context: CUDAContext) throws -> [KernelArgument]
}

/// Grid, block and dynamic shared memory of one launch.
public struct LaunchShape: Equatable, Sendable {
    public var grid: (Int, Int, Int)
    /// Threads per block in all.
    public var threads: Int
    public var sharedBytes: Int
    /// The block's shape (threads, 1, 1 unless a user kernel asks for 2-D or 3-D blocks).
    public var block: (Int, Int, Int)

    public init(grid: (Int, Int, Int), threads: Int, sharedBytes: Int, block: (Int, Int, Int)? = nil) {
        self.grid = grid
        self.threads = threads
        self.sharedBytes = sharedBytes
        self.block = block ?? (threads, 1, 1)
    }

    public static func == (lhs: LaunchShape, rhs: LaunchShape) -> Bool {
        lhs.grid == rhs.grid && lhs.threads == rhs.threads && lhs.sharedBytes == rhs.sharedBytes && lhs.block == rhs.block
    }
}

extension GPUKernelFamily {
    public func compileTarget(for deviceTarget: CompileTarget) throws -> CompileTarget { deviceTarget }

    public func arguments(_ config: KernelConfig, data: any GPUProblemData, context: CUDAContext) throws -> [KernelArgument] {
        data.arguments
    }

    /// Every valid configuration of the space, in the space's order (for exhaustive compile checks).
    public func allConfigurations() -> [KernelConfig] { space.validConfigurations() }

    /// The defines of `config` completed by the space's derived parameters: every value an integer.
    func integerDefines(_ config: KernelConfig) -> [String: Int] {
        var defines: [String: Int] = [:]
        for (name, value) in space.completing(config).values {
            if let number = value.intValue { defines[name] = number }
        }
        return defines
    }
}

extension ParameterSpace {
    /// The valid configurations (derived parameters completed) in mixed-radix order, the first
    /// parameter slowest, at most `limit` of them.
    func validConfigurations(limit: Int = .max) -> [KernelConfig] {
        var result: [KernelConfig] = []
        var current: [String: ParameterValue] = [:]
        func visit(_ index: Int) {
            guard result.count < limit else { return }
            if index == parameters.count {
                let config = KernelConfig(kernel: kernel, values: current)
                if isValid(config) { result.append(completing(config)) }
                return
            }
            for value in parameters[index].values {
                current[parameters[index].name] = value
                visit(index + 1)
            }
        }
        visit(0)
        return result
    }
}

func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
