import CUDALibraries
import Foundation
import GPUKernels
import KernelModel
import Kernels
import Search
import TunebenchCore
import TuningDatabase
import Workloads

/// Tunes a whole workload on a GPU (`autotune --gpu`): every unique GEMM layer once per
/// candidate precision with tunebench's CUDA kernels (GPUTuner), the time shared out by layer
/// cost as `autotune` shares it on the CPU. Per layer, the fastest precision whose error
/// (GPUPrecisionError) stays within the limit is recorded as the GPU's choice, which export and
/// the runtime's GPU answers follow.
///
/// A GPU computes a layer's product: layers that differ only in their fused epilogue are one
/// GPU layer. Layers no GPU kernel computes (convolutions, products of two activations) stay on
/// the CPU and are listed. Layers already tuned on this GPU are reused; a fault that loses the
/// CUDA context stops the autotune, and the same command continues it.
public struct GPUAutotuner {
    /// A GPU layer's inputs on the device for the kernel chosen for it.
    public typealias Inputs = (_ layer: Layer, _ precision: Precision, _ family: any GPUKernelFamily) throws -> any GPUProblemData

    /// The GPU's share of a workload.
    public struct Plan {
        /// The layers a GPU kernel computes, epilogues dropped and merged.
        public var unique: [Workload.UniqueLayer]
        /// Per unique layer, its candidate precisions (fp32 first) that a GPU kernel computes.
        public var precisions: [[Precision]]
        /// Layers left to the CPU, with why.
        public var onCPU: [(layer: Workload.UniqueLayer, reason: String)]
        /// Requested precisions some layers could not take, with why (one line each).
        public var notes: [String]
    }

    /// Trials a layer gets when its share of the time is spent: its default and two more.
    static let trialsWhenOutOfTime = 3

    public let tuner: GPUTuner
    public let limits: GPULimits
    /// The GPU's name, as its records' layer texts end ("… on NVIDIA H200").
    public let deviceName: String

    public init(tuner: GPUTuner, limits: GPULimits, deviceName: String) {
        self.tuner = tuner
        self.limits = limits
        self.deviceName = deviceName
    }

    public static func plan(_ request: Autotuner.Request, limits: GPULimits) -> Plan {
        var unique: [Workload.UniqueLayer] = []
        var onCPU: [(Workload.UniqueLayer, String)] = []
        for entry in request.workload.uniqueLayers {
            guard entry.layer.operation == .gemm else {
                let what = entry.layer.operation == .matmul ? "a product of two activations" : "a \(entry.layer.operation.rawValue)"
                onCPU.append((entry, "no GPU kernel computes \(what)"))
                continue
            }
            let product = GPUDefaults.computed(entry.layer)
            if let index = unique.firstIndex(where: { $0.layer == product }) {
                unique[index].multiplicity += entry.multiplicity
                unique[index].names += entry.names
                unique[index].weights += entry.weights.filter { weights in !unique[index].weights.contains { $0.source == weights.source } }
            } else {
                var computed = entry
                computed.layer = product
                unique.append(computed)
            }
        }
        let requested = [Precision.fp32] + request.precisions.filter { $0 != .fp32 }
        var skipped: [Precision: Int] = [:]
        var notes: [String] = []
        let precisions = unique.map { entry in
            requested.filter { precision in
                do {
                    if try GPULayerKernels.family(for: entry.layer, precision: precision, limits: limits) != nil { return true }
                    skipped[precision, default: 0] += 1
                } catch {
                    // The kernel exists but cannot take this shape (int4 groups, alignment).
                    notes.append("\(precision.rawValue) is not tuned for \(entry.layer) on the GPU: \((error as? GPUError)?.message ?? "\(error)")")
                }
                return false
            }
        }
        notes += requested.compactMap { precision in
            skipped[precision].map { "\(precision.rawValue) is not tuned for \($0) GPU layer(s): \(Self.whyNot(precision))" }
        }
        return Plan(unique: unique, precisions: precisions, onCPU: onCPU, notes: notes)
    }

    static func whyNot(_ precision: Precision) -> String {
        switch precision {
        case .int8, .int4: "integer weights run in the decode GEMV, one row (M = 1) at a time"
        default: "no kernel of this GPU computes it"
        }
    }

    /// The database's layer text of a GPU record of `layer` in `precision` on this GPU.
    func recordLayer(_ layer: Layer, _ precision: Precision) -> String {
        GPULayerKey.text(key: layer.key(precision: precision), device: deviceName)
    }

    /// Tunes the plan's layers within the request's time; `inputs` puts each layer's data on
    /// the device. Progress as the CPU's autotune reports it; `trial` sees every GPU trial.
    public func run(_ request: Autotuner.Request, inputs: Inputs, progress: (Autotuner.Progress) -> Void = { _ in },
                    trial: (TrialRecord, BestRecord?) -> Void = { _, _ in }) throws -> Autotuner.Result {
        let gpuPlan = Self.plan(request, limits: limits)
        // Time is shared by what each layer costs on a GPU of this class (about 50 TFLOP/s,
        // 3 TB/s), with the CPU autotune's floor.
        let plan = AutotunePlan(unique: gpuPlan.unique, precisions: gpuPlan.precisions,
                                costs: gpuPlan.unique.map { max($0.layer.flops / 50e12, $0.layer.minimumBytes() / 3e12) })
        let budget = AutotuneBudget(plan: plan, totalSeconds: request.totalSeconds, fixedShares: false)
        let existing = request.retune ? [] : try tuner.database.best(profileID: tuner.profile.id, kernelLibraryVersion: KernelLibrary.version)
        var layers: [Autotuner.LayerResult] = []
        for index in plan.unique.indices {
            layers.append(try layer(index, plan: plan, request: request, existing: existing, budget: budget, inputs: inputs,
                                    progress: progress, trial: trial))
        }
        var result = Autotuner.Result(workload: request.workload, layers: layers, profileID: tuner.profile.id)
        result.device = deviceName
        result.onCPU = gpuPlan.onCPU.map { Autotuner.Result.Elsewhere(layer: $0.layer.layer, multiplicity: $0.layer.multiplicity, reason: $0.reason) }
        result.notes = gpuPlan.notes
        if !request.graphs.isEmpty {
            result.modelBudgetUnavailable = "the model engine runs graphs on the CPU: the GPU's choices are held to the limit per layer"
        }
        return result
    }

    /// One GPU layer in each of its precisions: reused or tuned, judged, the winner recorded.
    func layer(_ index: Int, plan: AutotunePlan, request: Autotuner.Request, existing: [BestRecord], budget: AutotuneBudget,
               inputs: Inputs, progress: (Autotuner.Progress) -> Void, trial: (TrialRecord, BestRecord?) -> Void) throws -> Autotuner.LayerResult {
        let entry = plan.unique[index]
        var candidates: [Autotuner.Candidate] = []
        for (offset, precision) in plan.precisions[index].enumerated() {
            let step = plan.firstStep[index] + offset + 1
            let stepBudget = budget.nextStep(layer: index)
            let key = recordLayer(entry.layer, precision)
            var candidate = Autotuner.Candidate(precision: precision, best: nil, relativeError: nil, rejection: nil, reused: false)
            do {
                // The plan kept the precisions whose kernel takes this layer.
                guard let family = try GPULayerKernels.family(for: entry.layer, precision: precision, limits: limits) else { continue }
                var recorded = existing.first { $0.layer == key }
                if let best = recorded {
                    // A best from a search cut short (the layer's share of the time ran out) is
                    // searched again.
                    let measured = try tuner.database.trials(runID: best.runId).filter { $0.status == .ok }.count
                    if Autotuner.finishedSearch(measured: measured, space: family.allConfigurations().count) {
                        progress(.layerReused(index: step, of: plan.totalSteps, layer: entry.layer, precision: precision, trials: measured, runID: best.runId))
                    } else {
                        progress(.layerRetuned(index: step, of: plan.totalSteps, layer: entry.layer, precision: precision, trials: measured))
                        recorded = nil
                    }
                }
                if let recorded {
                    candidate.best = recorded
                    candidate.reused = true
                } else {
                    progress(.layerStarted(index: step, of: plan.totalSteps, layer: entry.layer, precision: precision,
                                           seconds: stepBudget.seconds, remainingSeconds: stepBudget.left))
                    let started = Date()
                    let data = try inputs(entry.layer, precision, family)
                    let result = try tuner.tune(family, data: data, request: GPUTuneRequest(layer: key, strategy: request.strategy, budgetSeconds: stepBudget.seconds,
                                                                                            minimumTrials: Self.trialsWhenOutOfTime), progress: trial)
                    budget.stepTook(Date().timeIntervalSince(started), budget: stepBudget.seconds, layer: index)
                    if let stopped = result.stoppedBecause { throw TuneInterrupted(message: "\(key): \(stopped)") }
                    candidate.best = result.keptBest ?? result.best
                }
            } catch let error as GPUError where error.code != .contextLost {
                // A kernel that cannot take this layer (int4 groups, alignment): the precision is
                // out for this layer, the autotune goes on.
                candidate.rejection = error.message
            } catch let error as SearchError {
                candidate.rejection = error.message
            }
            judge(&candidate, layer: entry, maxError: request.maxError)
            candidates.append(candidate)
        }
        let chosen = Autotuner.choose(candidates)
        let fp32 = candidates.first { $0.precision == .fp32 }?.best
        // The baseline: the fp32 kernel's default configuration, measured first in its run.
        let defaultSeconds = fp32.flatMap { best in best.speedupOverDefault.map { best.medianSeconds * $0 } }
        if let chosen, let best = candidates[chosen].best {
            try tuner.database.record(choice: ChoiceRecord(
                profileId: tuner.profile.id, layer: GPULayerKey.text(key: entry.layer.description, device: deviceName),
                kernelLibraryVersion: KernelLibrary.version, policy: request.policy, precision: candidates[chosen].precision.rawValue,
                bestLayer: best.layer, relativeError: candidates[chosen].relativeError,
                errorOnModelWeights: candidates[chosen].errorOnModelWeights, decidedAt: Timestamp.now()))
        }
        return Autotuner.LayerResult(layer: entry.layer, multiplicity: entry.multiplicity, names: entry.names, kernel: .gemm,
                                     candidates: candidates, chosen: chosen, defaultSeconds: defaultSeconds)
    }

    /// The candidate's error as the GPU computes in its precision; rejected without a result or
    /// above the limit.
    func judge(_ candidate: inout Autotuner.Candidate, layer: Workload.UniqueLayer, maxError: Double) {
        guard candidate.rejection == nil else { return }
        guard let best = candidate.best else {
            candidate.rejection = "no configuration ran successfully"
            return
        }
        let group = (try? KernelConfig(parsing: best.config))?.int("GROUP") ?? 128
        do {
            candidate.relativeError = try GPUPrecisionError.relativeError(layer: layer.layer, precision: candidate.precision, group: group,
                                                                          weights: layer.weights)
            candidate.errorOnModelWeights = !layer.weights.isEmpty
        } catch {
            candidate.rejection = "the layer's weights cannot be stored in \(candidate.precision.rawValue): \(error)"
            return
        }
        if let error = candidate.relativeError, error > maxError {
            candidate.rejection = String(format: "error %.2g above the limit %.2g", error, maxError)
        }
    }

    /// Inputs on `context`'s device: the GEMV's quantized weights, or the GEMM's operands.
    public static func deviceInputs(context: CUDAContext) -> Inputs {
        { layer, precision, family in
            if let gemv = family as? CUDAGEMV { return try GEMVData(context: context, family: gemv) }
            return try GEMMData(context: context, m: layer.m ?? 1, n: layer.n ?? 1, k: layer.k ?? 1, precision: precision)
        }
    }
}
