import ArgumentParser
import CUDALibraries
import Foundation
import GPUKernels
import HardwareProbe
import KernelModel
import Reports
import Tuning
import TuningDatabase
import TuningDatabasePostgres

/// `tune --gpu` (tunebench's GPU kernels) and `tune --cuda FILE.cu` (a user's kernel, as Kernel
/// Tuner tunes one).
struct GPUTuneOptions: ParsableArguments {
    @Flag(help: "Tune tunebench's CUDA kernel for --kernel/--shape/--precision (gemm: fp32 on CUDA cores, fp16/bf16 on tensor cores, wgmma on Hopper; gemm-mma: fp16/bf16 on mma.sync; gemv: fp16/int8/int4 weights) on a GPU.")
    var gpu = false

    @Option(help: "Tune this CUDA source's --kernel function (extern \"C\" __global__) on a GPU.")
    var cuda: String?

    @Option(name: .customLong("param"), help: "A tunable parameter of --cuda, passed as a define: NAME=v1,v2,… (repeat for each).")
    var parameters: [String] = []

    @Option(name: .customLong("constraint"), help: "A condition on the parameters and problem sizes, e.g. \"BLOCK_SIZE*TILE<=1024\" (repeatable).")
    var constraints: [String] = []

    @Option(help: "Problem sizes of --cuda, e.g. n=1048576,m=64: what the expressions and scalar arguments read.")
    var problem = ""

    @Option(name: .customLong("arg"), help: "The kernel's arguments in order: NAME:TYPE[COUNT] (buffer; add :out for an output), NAME:TYPE=VALUE (scalar). Types: float, half, bf16, int, int8, uint8; scalars int, float, long.")
    var arguments: [String] = []

    @Option(help: "Threads per block of --cuda: 1 to 3 expressions (default: the parameters block_size_x/y/z).")
    var block: String?

    @Option(help: "Blocks of --cuda: 1 to 3 expressions, rounded up, e.g. \"n/(BLOCK_SIZE*TILE)\".")
    var grid = "1"

    @Option(help: "Floating-point operations of one --cuda run (an expression), to report GFLOP/s.")
    var flops: String?

    @Option(name: .customLong("reference"), help: "The expected output of --cuda: NAME=FILE (.npy, or raw values of the buffer's type). Without it the first configuration's output is the reference.")
    var references: [String] = []

    @Option(help: "Relative L2 error a --cuda output may show against the reference.")
    var tolerance = 1e-6

    @Option(help: "The CUDA device (ordinal, as CUDA_VISIBLE_DEVICES leaves them).")
    var device = 0

    @Flag(name: .customLong("vs-cublas"), help: "After a --gpu gemm run, race the best configuration against cuBLAS (cublasGemmEx), interleaved.")
    var vsCublas = false

    @Flag(name: .customLong("compile-only"), help: "Compile every configuration with NVRTC (no GPU needed) and report the refused ones; nothing is timed or recorded.")
    var compileOnly = false

    @Option(help: "The architecture --compile-only compiles for: sm_80, sm_90, … (default: the device's, else sm_90).")
    var arch: String?

    var isRequested: Bool { gpu || cuda != nil }

    func setup(kernel: String, shape: String?, precision: Precision) -> GPUTuneSetup {
        GPUTuneSetup(kernel: kernel, shape: shape, precision: precision, user: cuda.map {
            GPUTuneSetup.UserKernel(sourceFile: $0, parameters: parameters, constraints: constraints, problem: problem,
                                    arguments: arguments, block: block, grid: grid, flops: flops, references: references,
                                    tolerance: tolerance)
        })
    }

    func run(kernel: String, shape: String?, precision: Precision, strategy: String, budget: Int?, time: Double?, seed: UInt64,
             db: String, t4: String?, quiet: Bool, profiles: ProfileOptions) throws {
        let setup = setup(kernel: kernel, shape: shape, precision: precision)
        // A user kernel's description is checked before NVRTC or a GPU is looked for.
        if cuda != nil { _ = try setup.family(limits: .sm90) }
        let nvrtc = try NVRTC.shared()
        let compiler = CUDACompiler(nvrtc: nvrtc)
        if compileOnly {
            let context = arch == nil ? try? CUDAContext(driver: CUDADriver.shared(), ordinal: device) : nil
            let limits = try context.map { GPULimits(device: $0.device) } ?? GPUTuneSetup.limits(architecture: arch)
            let (family, _) = try setup.family(limits: limits)
            let target = nvrtc.target(computeCapability: limits.computeCapabilityMajor, limits.computeCapabilityMinor)
            let (compiled, refused) = GPUTuneSetup.compileAll(family, compiler: compiler, target: target)
            let familyTarget = (try? family.compileTarget(for: target)) ?? target
            print(GPUTuneReportText.compileReport(kernel: family.kernel, target: "\(familyTarget) (NVRTC \(nvrtc.versionText))", compiled: compiled, refused: refused))
            if compiled == 0 { throw GPUError(.compileFailed, "no configuration of \(family.kernel) compiled") }
            return
        }
        let context = try CUDAContext(driver: CUDADriver.shared(), ordinal: device)
        let runner = try CUDAKernelRunner(context: context, compiler: compiler)
        if let meter = GPUEnergyMeter(pciBusID: context.device.pciBusID) { runner.energyCounter = { meter.joules() } }
        let (family, layer) = try setup.family(limits: runner.limits)
        let data = try setup.data(for: family, context: context)
        let profile = try profiles.currentMachine()
        let device = context.device
        let recordLayer = cuda == nil ? GPULayerKey.text(key: layer, device: device.name) : layer
        let tuner = GPUTuner(profile: profile, database: try TuningStoreLocation.open(db, create: true), runner: runner)
        printToStderr("tuning \(family.kernel) \(layer) on \(device.name) (\(device.architecture)), profile \(profile.id), into \(db)")
        let result = try tuner.tune(family, data: data, request: GPUTuneRequest(layer: recordLayer, strategy: strategy, seed: seed,
                                                                                 budgetTrials: budget ?? (time == nil ? 100 : nil), budgetSeconds: time)) { trial, best in
            if !quiet { printToStderr(GPUTuneReportText.progressLine(trial, best: best)) }
        }
        print(GPUTuneReportText.render(result))
        if vsCublas, let gemm = data as? GEMMData, let best = result.best {
            let race = try CUBLASRace.run(runner: runner, family: family, config: try KernelConfig(parsing: best.config), data: gemm)
            print(GPUTuneReportText.cublasLine(race, flops: family.flops))
        }
        if let user = data as? UserKernelData, !user.referenceFromFiles {
            printToStderr("note: validated against the first configuration's output (give --reference NAME=FILE to check against the truth)")
        }
        if let t4 {
            try T4Results(trials: result.trials).encoded().write(to: URL(fileURLWithPath: t4))
            printToStderr("wrote T4 results to \(t4)")
        }
    }
}
