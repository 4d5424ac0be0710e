import ArgumentParser
import CUDALibraries
import Foundation
import GPUKernels
import HardwareProbe
import Reports
import Tuning
import TuningDatabase
import TuningDatabasePostgres

/// `autotune --gpu`: the workload's GEMM layers tuned with tunebench's CUDA kernels on a GPU.
struct AutotuneGPUOptions: ParsableArguments {
    @Flag(help: "Tune the workload's GEMM layers on a GPU with tunebench's CUDA kernels (fp32, fp16, bf16; int8/int4 for one-row decode layers); other layers stay on the CPU (docs/gpu.md).")
    var gpu = false

    @Option(help: "With --gpu: the CUDA device (ordinal, as CUDA_VISIBLE_DEVICES leaves them).")
    var device = 0

    @Flag(name: .customLong("compile-only"), help: "With --gpu: compile every configuration of every layer's kernels with NVRTC (no GPU needed) and report the refused ones; nothing is timed or recorded.")
    var compileOnly = false

    @Option(help: "With --compile-only: the architecture compiled for, sm_80, sm_90, … (default: the device's, else sm_90).")
    var arch: String?

    /// Tunes `request` on the GPU, or (`--compile-only`) compiles what it would tune.
    func run(_ request: Autotuner.Request, db: String, json: String?, quiet: Bool, profiles: ProfileOptions) throws {
        let nvrtc = try NVRTC.shared()
        let compiler = CUDACompiler(nvrtc: nvrtc)
        if compileOnly {
            let context = arch == nil ? try? CUDAContext(driver: CUDADriver.shared(), ordinal: device) : nil
            let limits = try context.map { GPULimits(device: $0.device) } ?? GPUTuneSetup.limits(architecture: arch)
            try compileAll(GPUAutotuner.plan(request, limits: limits), limits: limits, nvrtc: nvrtc, compiler: compiler)
            return
        }
        let context = try CUDAContext(driver: CUDADriver.shared(), ordinal: device)
        let runner = try CUDAKernelRunner(context: context, compiler: compiler)
        if let meter = GPUEnergyMeter(pciBusID: context.device.pciBusID) { runner.energyCounter = { meter.joules() } }
        let profile = try profiles.currentMachine()
        let database = try TuningStoreLocation.open(db, create: true)
        let autotuner = GPUAutotuner(tuner: GPUTuner(profile: profile, database: database, runner: runner), limits: runner.limits,
                                     deviceName: context.device.name)
        let plan = GPUAutotuner.plan(request, limits: runner.limits)
        printToStderr("autotuning \(request.workload.name) on \(context.device.name) (\(context.device.architecture)): \(plan.unique.count) unique GPU layers, "
                      + "\(plan.onCPU.count) left to the CPU, within \(AutotuneReportText.seconds(request.totalSeconds)) on profile \(profile.id) into \(database.address)")
        let result = try autotuner.run(request, inputs: GPUAutotuner.deviceInputs(context: context), progress: { progress in
            if let line = AutotuneReportText.progressLine(progress) { printToStderr(line) }
        }, trial: { trial, best in
            if !quiet { printToStderr("    " + GPUTuneReportText.progressLine(trial, best: best)) }
        })
        print(AutotuneReportText.render(result, maxError: request.maxError))
        if let json {
            try AutotuneSummary(result).encoded().write(to: URL(fileURLWithPath: json))
            printToStderr("wrote \(json)")
        }
    }

    /// Every configuration of each layer's kernel in each precision, compiled once (the compile
    /// cache serves layers that share a kernel's defines).
    private func compileAll(_ plan: GPUAutotuner.Plan, limits: GPULimits, nvrtc: NVRTC, compiler: CUDACompiler) throws {
        let target = nvrtc.target(computeCapability: limits.computeCapabilityMajor, limits.computeCapabilityMinor)
        var failed: [String] = []
        for (entry, precisions) in zip(plan.unique, plan.precisions) {
            for precision in precisions {
                guard let family = try GPULayerKernels.family(for: entry.layer, precision: precision, limits: limits) else { continue }
                let (compiled, refused) = GPUTuneSetup.compileAll(family, compiler: compiler, target: target)
                let familyTarget = (try? family.compileTarget(for: target)) ?? target
                print("\(entry.layer) \(precision.rawValue) x\(entry.multiplicity): "
                      + GPUTuneReportText.compileReport(kernel: family.kernel, target: "\(familyTarget) (NVRTC \(nvrtc.versionText))", compiled: compiled, refused: refused))
                if compiled == 0 { failed.append("\(entry.layer) \(precision.rawValue)") }
            }
        }
        for elsewhere in plan.onCPU { print("left to the CPU: \(elsewhere.layer.layer) x\(elsewhere.layer.multiplicity): \(elsewhere.reason)") }
        for note in plan.notes { print("note: \(note)") }
        if !failed.isEmpty { throw GPUError(.compileFailed, "no configuration compiled for \(failed.joined(separator: ", "))") }
    }
}
