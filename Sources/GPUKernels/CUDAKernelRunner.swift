import CUDALibraries
import Foundation
import Kernels
import KernelModel

/// One measured configuration of a GPU kernel.
public struct GPUTrialResult: Sendable {
    public var config: KernelConfig
    /// Median device time of one run (CUDA events).
    public var milliseconds: Double
    /// The fastest sample's time per run.
    public var minimumMilliseconds: Double
    public var gflops: Double
    /// Minimum bytes moved per second (the kernel's memory roofline position).
    public var gigabytesPerSecond: Double
    public var validation: Validation
    public var registers: Int
    public var staticSharedBytes: Int
    /// Bytes spilled to local memory per thread (0 in a good configuration).
    public var localBytes: Int
    /// Energy of one run from the GPU's energy counter over the timed samples; nil where the
    /// counter is missing (or too coarse to move during them).
    public var joulesPerRun: Double?

    public init(config: KernelConfig, milliseconds: Double, minimumMilliseconds: Double, gflops: Double, gigabytesPerSecond: Double,
                validation: Validation, registers: Int, staticSharedBytes: Int, localBytes: Int) {
        self.config = config
        self.milliseconds = milliseconds
        self.minimumMilliseconds = minimumMilliseconds
        self.gflops = gflops
        self.gigabytesPerSecond = gigabytesPerSecond
        self.validation = validation
        self.registers = registers
        self.staticSharedBytes = staticSharedBytes
        self.localBytes = localBytes
    }
}

/// What measures a GPU trial for the tuner: `CUDAKernelRunner` on a device.
public protocol GPUTrialMeasuring: AnyObject {
    /// "nvrtc 12.9 sm_90": recorded as the run's build flags.
    var compilerDescription: String { get }
    var compileStatistics: (hits: Int, compilations: Int) { get }
    /// Samples per trial.
    var samples: Int { get }
    func measure(_ family: any GPUKernelFamily, _ config: KernelConfig, data: any GPUProblemData) throws -> GPUTrialResult
}

/// Compiles, loads, validates and times configurations of a GPU kernel on one device:
/// compile failures, launches the device refuses and wrong results throw, with their message,
/// before any time is taken (the tuner records them as failed trials).
public final class CUDAKernelRunner: GPUTrialMeasuring, @unchecked Sendable {
    public let context: CUDAContext
    public let compiler: CUDACompiler
    public let target: CompileTarget
    /// Device time each timed sample covers at least (runs are repeated to reach it).
    public var sampleMilliseconds = 20.0
    public var samples = 5
    /// Joules the GPU has used so far (NVML's counter, from the caller), read around the timed
    /// samples; nil: energy not measured.
    public var energyCounter: (() -> Double?)?

    public init(context: CUDAContext, compiler: CUDACompiler) throws {
        self.context = context
        self.compiler = compiler
        // Code from a newer CUDA major version than the driver's may not load (compatibility
        // holds within a major version): refuse the pair up front, naming both.
        let driverMajor = context.driver.version / 1000
        if compiler.nvrtc.version.major > driverMajor {
            throw GPUError(.unsupported, "NVRTC \(compiler.nvrtc.versionText) (\(compiler.nvrtc.library.path)) makes code for CUDA \(compiler.nvrtc.version.major); the driver supports CUDA \(context.driver.versionText): set TUNEBENCH_NVRTC to a \(driverMajor).x NVRTC")
        }
        target = compiler.nvrtc.target(computeCapability: context.device.computeCapabilityMajor, context.device.computeCapabilityMinor)
    }

    public var limits: GPULimits { GPULimits(device: context.device) }
    public var compilerDescription: String { "nvrtc \(compiler.nvrtc.versionText) \(target)" }
    public var compileStatistics: (hits: Int, compilations: Int) { compiler.statistics }

    /// A configuration compiled, loaded and ready to launch on `data`, its resources checked
    /// against the launch (the trials and the cuBLAS race launch through this).
    public func prepare(_ family: any GPUKernelFamily, _ complete: KernelConfig, data: any GPUProblemData) throws
        -> (launcher: CUDAFunction.Launcher, resources: (registers: Int, sharedBytes: Int, localBytes: Int, maxThreadsPerBlock: Int)) {
        let compiled = try compiler.compile(family.source, defines: family.defines(complete), target: family.compileTarget(for: target))
        let module = try context.loadModule(image: compiled.loadableImage)
        let function = try module.function(family.entry)
        let shape = family.launch(complete)
        let resources = try function.resources()
        guard shape.threads <= resources.maxThreadsPerBlock else {
            throw GPUError(.launchResources, "\(complete): \(shape.threads) threads per block, but with \(resources.registers) registers per thread the device runs at most \(resources.maxThreadsPerBlock)")
        }
        if shape.sharedBytes > 48 * 1024 { try function.allowDynamicSharedMemory(bytes: shape.sharedBytes) }
        let arguments = try family.arguments(complete, data: data, context: context)
        let launcher = try function.launcher(grid: shape.grid, block: shape.block, sharedBytes: shape.sharedBytes, arguments: arguments)
        return (launcher, resources)
    }

    public func measure(_ family: any GPUKernelFamily, _ config: KernelConfig, data: any GPUProblemData) throws -> GPUTrialResult {
        try family.space.validate(config)
        let complete = family.space.completing(config)
        let (launcher, resources) = try prepare(family, complete, data: data)
        let launch = { try launcher.launch() }
        try data.poisonOutput()
        try launch()
        try context.synchronize()
        let validation = try data.validate()
        guard validation.passed else {
            throw GPUError(.wrongResult, "\(complete) computed a wrong result: \(validation)")
        }
        // Repetitions so that a sample covers `sampleMilliseconds` (one run estimates the time).
        let single = try context.time(repetitions: 1, launch)
        let repetitions = max(1, min(10_000, Int(sampleMilliseconds / max(single, 1e-4))))
        var times: [Double] = []
        let joulesBefore = energyCounter?()
        for _ in 0..<samples { times.append(try context.time(repetitions: repetitions, launch)) }
        let joulesAfter = energyCounter?()
        let median = times.sorted()[times.count / 2]
        var result = GPUTrialResult(
            config: complete, milliseconds: median, minimumMilliseconds: times.min()!, gflops: family.flops / (median * 1e6),
            gigabytesPerSecond: family.minimumBytes / (median * 1e6), validation: validation,
            registers: resources.registers, staticSharedBytes: resources.sharedBytes, localBytes: resources.localBytes
        )
        if let joulesBefore, let joulesAfter, joulesAfter > joulesBefore {
            result.joulesPerRun = (joulesAfter - joulesBefore) / Double(samples * repetitions)
        }
        return result
    }
}
