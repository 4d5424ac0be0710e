import Foundation
import HardwareProbe
import Kernels
import ModelEngine
import TunebenchCore
import TuningDatabase
import Workloads

/// Tunes a whole workload: every unique layer once, in each candidate weight precision, within
/// a total time budget shared out by layer cost; per layer, the fastest precision whose error
/// stays within `maxError` wins. Layers already tuned for this profile and kernel-library
/// version are reused (so an interrupted autotune continues where it stopped).
///
/// Several tuners on machines with the same profile can split one workload through the
/// database (`Sharing`): each claims unique layers one at a time until none is left.
public struct Autotuner {
    public struct Request: Sendable {
        public var workload: Workload
        /// Candidate weight precisions (fp32 always first: it is the reference and the default).
        public var precisions: [Precision]
        /// Largest relative L2 error of a layer's output against the fp32 reference.
        public var maxError: Double
        public var totalSeconds: Double
        public var strategy: String
        public var settings: TrialSettings
        /// Tune again layers that already have a best configuration.
        public var retune: Bool
        /// Parameters held fixed in every layer's search, e.g. "threads=1" (tuners sharing a
        /// machine's cores).
        public var fixed: String = ""
        /// The model's graph at each binding of its dimensions (ONNX workloads): `maxError` then
        /// holds for the model's outputs, not only for each layer (ModelBudget).
        public var graphs: [ONNXPlan] = []
        /// What the model's output error is measured by, and on which inputs (sets whose shapes
        /// match a graph's inputs; none: seeded inputs).
        public var metric: ModelMetric = .relativeL2
        public var calibration: [[String: Tensor]] = []
        /// Where `calibration` came from, for the report.
        public var calibrationSource: String?
        /// Race each lower precision chosen for a layer against its fp32 candidate in the whole
        /// pass (ModelBudget), and keep fp32 where the graph runs clearly faster with it.
        public var raceInContext = true

        /// How the precision is chosen, as the database records it with each choice.
        public var policy: String {
            let candidates = [Precision.fp32] + precisions.filter { $0 != .fp32 }
            guard candidates.count > 1 else { return "fp32" }
            return "max-error \(maxError) over \(candidates.map(\.rawValue).joined(separator: ","))"
        }

        public init(workload: Workload, precisions: [Precision] = Precision.allCases, maxError: Double = 0.01, totalSeconds: Double = 600,
                    strategy: String = "auto", settings: TrialSettings = TrialSettings(), retune: Bool = false) {
            self.workload = workload
            self.precisions = precisions
            self.maxError = maxError
            self.totalSeconds = totalSeconds
            self.strategy = strategy
            self.settings = settings
            self.retune = retune
        }
    }

    /// One precision of one layer.
    public struct Candidate: Sendable {
        public var precision: Precision
        public var best: BestRecord?
        public var relativeError: Double?
        /// The error was measured on the model's own weights (ONNX initializers), not on the
        /// kernel's random validation weights.
        public var errorOnModelWeights: Bool = false
        /// Why it was not chosen (error above the limit, no successful trial).
        public var rejection: String?
        public var reused: Bool
    }

    public struct LayerResult: Sendable {
        public var layer: Layer
        public var multiplicity: Int
        public var names: [String]
        public var kernel: KernelKind
        public var candidates: [Candidate]
        /// The winning candidate's index in `candidates`.
        public var chosen: Int?
        /// Seconds per execution of the fp32 default configuration (the baseline).
        public var defaultSeconds: Double?

        /// Tuned by this tuner; false when another tuner sharing the work did it.
        public var tunedHere: Bool = true

        public var winner: Candidate? { chosen.map { candidates[$0] } }
        public var tunedSeconds: Double? { winner?.best?.medianSeconds }
    }

    public struct Result: Sendable {
        public var workload: Workload
        public var layers: [LayerResult]
        public var profileID: String
        /// The model-level check of the precision choices, for a workload with a graph.
        public var modelBudget: ModelBudget.Outcome?
        /// Why a workload with a graph was held to the limit per layer only (the graph has an
        /// operator nothing here runs, or the work was shared).
        public var modelBudgetUnavailable: String?
        /// The GPU the layers were tuned on (`autotune --gpu`); nil: this machine's CPU.
        public var device: String?
        /// Layers of the workload this autotune left to another processor, with why.
        public var onCPU: [Elsewhere] = []
        /// What the autotune could not do as asked (a precision no kernel here computes).
        public var notes: [String] = []

        public struct Elsewhere: Sendable {
            public var layer: Layer
            public var multiplicity: Int
            public var reason: String
        }

        /// Seconds per forward pass over the imported layers: each unique layer's time times its
        /// multiplicity (nil if a layer has no figure).
        public var defaultSeconds: Double? { total(\.defaultSeconds) }
        public var tunedSeconds: Double? { total(\.tunedSeconds) }

        private func total(_ seconds: KeyPath<LayerResult, Double?>) -> Double? {
            var sum = 0.0
            for layer in layers {
                guard let value = layer[keyPath: seconds] else { return nil }
                sum += value * Double(layer.multiplicity)
            }
            return sum
        }
    }

    public enum Progress: Sendable {
        case layerStarted(index: Int, of: Int, layer: Layer, precision: Precision, seconds: Double, remainingSeconds: Double)
        /// `trials`: the measured trials of the run that found it, `runID` that run.
        case layerReused(index: Int, of: Int, layer: Layer, precision: Precision, trials: Int, runID: String)
        /// A recorded best from too short a search (fewer than `minimumTrials` measured trials):
        /// searched again instead of reused.
        case layerRetuned(index: Int, of: Int, layer: Layer, precision: Precision, trials: Int)
        case trial(TuneProgress)
        /// Sharing: this tuner claimed a layer (a take-over when another tuner's lease expired).
        case claimed(layer: Layer, claim: WorkClaim)
        /// Sharing: nothing left to claim; other tuners hold `progress.claimed` layers.
        case waiting(WorkProgress)
        /// Sharing: this tuner stalled past its lease and another took the layer over.
        case claimLost(layer: Layer)
    }

    public let tuner: Tuner

    public init(tuner: Tuner) {
        self.tuner = tuner
    }

    /// Tunes the workload alone, or with the other tuners of `sharing`.
    public func run(_ request: Request, sharing: Sharing? = nil, progress: (Progress) -> Void = { _ in }) throws -> Result {
        let plan = AutotunePlan(request)
        let budget = AutotuneBudget(plan: plan, totalSeconds: request.totalSeconds, fixedShares: sharing != nil)
        var results: [LayerResult]
        if let sharing {
            results = try runShared(request, plan: plan, budget: budget, sharing: sharing, progress: progress)
        } else {
            let existing = request.retune ? [] : try recordedBest()
            results = try plan.unique.indices.map { index in
                try layer(index, plan: plan, request: request, existing: existing, budget: budget, progress: progress)
            }
        }
        var result = Result(workload: request.workload, layers: results, profileID: tuner.profile.id)
        if !request.graphs.isEmpty {
            if sharing != nil {
                result.modelBudgetUnavailable = "the work was shared: each tuner saw only its own layers' choices"
            } else {
                do {
                    result.modelBudget = try ModelBudget(autotuner: self, request: request).enforce(on: &result.layers)
                } catch let error as FileError {
                    // The graph cannot run here (an operator without a reference implementation).
                    result.modelBudgetUnavailable = "the model does not run here (\(error.message))"
                }
            }
        }
        return result
    }

    /// Measured trials a recorded best needs (or the whole space, when smaller) to be reused as
    /// finished; fewer, and an autotune with a budget searches the layer again.
    public static let minimumTrials = 8

    /// Whether a recorded best came from a finished search: `minimumTrials` measured trials, or
    /// the whole space when it is smaller.
    static func finishedSearch(measured: Int, space: Int) -> Bool { measured >= min(minimumTrials, space) }

    /// This profile's best configurations of this kernel-library version.
    func recordedBest() throws -> [BestRecord] {
        try tuner.database.best(profileID: tuner.profile.id, kernelLibraryVersion: KernelLibrary.version)
    }

    /// One unique layer in each of its precisions: reused where `existing` has it, else tuned
    /// within `budget`; the fastest precision within the error limit (`choose`) is recorded as the layer's
    /// choice. Without a budget nothing is tuned or recorded: the layer was another tuner's, and
    /// a precision missing from `existing` failed there.
    func layer(_ index: Int, plan: AutotunePlan, request: Request, existing: [BestRecord], budget: AutotuneBudget?,
               stillOwned: (@Sendable () throws -> Bool)? = nil, progress: (Progress) -> Void) throws -> LayerResult {
        let entry = plan.unique[index]
        var candidates: [Candidate] = []
        for (offset, precision) in plan.precisions[index].enumerated() {
            let step = plan.firstStep[index] + offset + 1
            let problem = KernelProblem(layer: entry.layer, precision: precision)
            // Every step takes its share of the budget, reused or not (AutotuneBudget).
            let stepBudget = budget?.nextStep(layer: index)
            var candidate = Candidate(precision: precision, best: nil, relativeError: nil, rejection: nil, reused: false)
            var recorded = existing.first(where: { $0.layer == problem.key && $0.kernel == problem.kernel.rawValue })
            var recordedTrials: [TrialRecord] = []
            var measured = 0
            if let best = recorded {
                recordedTrials = try tuner.database.trials(runID: best.runId)
                // A best found in a handful of trials (an autotune given seconds for many layers)
                // is not a finished search: with a budget here, it is searched again, seeded by it.
                measured = recordedTrials.filter { $0.status == .ok }.count
                let space = (try? KernelCatalog.kernel(for: problem, limits: MachineSizes(profile: tuner.profile)).space.cardinality) ?? Self.minimumTrials
                if budget != nil, stepBudget != nil, !Self.finishedSearch(measured: measured, space: space) {
                    progress(.layerRetuned(index: step, of: plan.totalSteps, layer: entry.layer, precision: precision, trials: measured))
                    recorded = nil
                }
            }
            if let recorded {
                progress(.layerReused(index: step, of: plan.totalSteps, layer: entry.layer, precision: precision, trials: measured, runID: recorded.runId))
                candidate.best = recorded
                candidate.reused = true
                candidate.relativeError = recordedTrials.first { $0.config == recorded.config }?.relativeError
            } else if let budget, let stepBudget {
                progress(.layerStarted(index: step, of: plan.totalSteps, layer: entry.layer, precision: precision,
                                       seconds: stepBudget.seconds, remainingSeconds: stepBudget.left))
                let stepStarted = Date()
                do {
                    let result = try tune(problem, request: request, seconds: stepBudget.seconds, stillOwned: stillOwned, progress: progress)
                    candidate.best = result.best
                    candidate.relativeError = result.best.flatMap { best in result.trials.first { $0.config == best.config }?.relativeError }
                } catch let error as KernelError {
                    // The precision's kernel cannot take this shape (int4 packs pairs: an odd N
                    // or K, e.g. a one-output gate): out for this layer, the autotune goes on.
                    candidate.rejection = "the \(precision.rawValue) kernel cannot compute this layer: \(error.message)"
                }
                budget.stepTook(Date().timeIntervalSince(stepStarted), budget: stepBudget.seconds, layer: index)
            }
            try judge(&candidate, weights: entry.weights, maxError: request.maxError)
            candidates.append(candidate)
        }
        let chosen = Self.choose(candidates)
        // The baseline: the fp32 default configuration, from the fp32 run's race with it.
        let fp32 = candidates.first { $0.precision == .fp32 }?.best
        let defaultSeconds = fp32.flatMap { best in best.speedupOverDefault.map { best.medianSeconds * $0 } }
        if budget != nil, let chosen {
            if let stillOwned, try !stillOwned() { throw TuneInterrupted(message: "another tuner took over \(entry.layer)") }
            try recordChoice(candidates[chosen], layer: entry.layer, policy: request.policy)
        }
        return LayerResult(layer: entry.layer, multiplicity: entry.multiplicity, names: entry.names, kernel: entry.layer.kernel,
                           candidates: candidates, chosen: chosen, defaultSeconds: defaultSeconds, tunedHere: budget != nil)
    }

    /// One precision of a layer, searched for `seconds`.
    private func tune(_ problem: KernelProblem, request: Request, seconds: Double, stillOwned: (@Sendable () throws -> Bool)?,
                      progress: (Progress) -> Void) throws -> TuneResult {
        var tune = TuneRequest(problem: problem, strategy: request.strategy, budgetTrials: nil, budgetSeconds: seconds)
        tune.settings = request.settings
        tune.fixed = request.fixed
        tune.stillOwned = stillOwned
        // A layer claimed from a dead tuner continues its run (the lease says it is dead).
        tune.resumeOtherHosts = stillOwned != nil
        return try tuner.tune(tune) { progress(.trial($0)) }
    }

    /// Measures the candidate's error on the model's own weights where the layer has them, and
    /// rejects it when it has no result or its error exceeds `maxError`.
    private func judge(_ candidate: inout Candidate, weights: [LayerWeights], maxError: Double) throws {
        if let best = candidate.best, !weights.isEmpty {
            do {
                let group = (try? KernelConfig(parsing: best.config))?.int("group") ?? 0
                candidate.relativeError = try ModelWeightAccuracy.worst(over: weights, precision: candidate.precision, group: group)
                candidate.errorOnModelWeights = true
            } catch let error as KernelError {
                candidate.rejection = "the model's weights cannot be stored in \(candidate.precision.rawValue): \(error.message)"
            }
        }
        if candidate.best == nil {
            candidate.rejection = candidate.rejection ?? "no configuration ran successfully"
        } else if candidate.rejection == nil, let error = candidate.relativeError, error > maxError {
            candidate.rejection = String(format: "error %.2g above the limit %.2g", error, maxError)
        }
    }

    /// A less accurate precision must beat the time of a more accurate one by this factor.
    static let clearlyFaster = 0.9

    /// The fastest eligible candidate, unless more accurate ones are within `clearlyFaster` of
    /// its time: then the most accurate of those. Each precision's time is the median of its
    /// own tuning run, and such medians drift 20–30% between runs here; a reduced precision that
    /// is not clearly faster costs accuracy for nothing (seen: int8 and fp16 convolutions chosen
    /// over fp32 ones that then ran faster in the model).
    static func choose(_ candidates: [Candidate]) -> Int? {
        let eligible = candidates.indices.filter { candidates[$0].rejection == nil && candidates[$0].best != nil }
        let seconds = { (index: Int) in candidates[index].best?.medianSeconds ?? .infinity }
        guard let fastest = eligible.min(by: { seconds($0) < seconds($1) }) else { return nil }
        let close = eligible.filter { seconds($0) * clearlyFaster <= seconds(fastest) }
        return close.min { (candidates[$0].relativeError ?? 0, seconds($0)) < (candidates[$1].relativeError ?? 0, seconds($1)) }
    }

    /// What deployments of this profile get for the layer (TunebenchRuntime, export).
    func recordChoice(_ winner: Candidate, layer: Layer, policy: String, modelCheck: String? = nil, modelOutputError: Double? = nil) throws {
        guard let best = winner.best else { return }
        try tuner.database.record(choice: ChoiceRecord(
            profileId: tuner.profile.id, layer: layer.description, kernelLibraryVersion: KernelLibrary.version,
            policy: policy, precision: winner.precision.rawValue, bestLayer: best.layer,
            relativeError: winner.relativeError, errorOnModelWeights: winner.errorOnModelWeights,
            decidedAt: Timestamp.now(), modelCheck: modelCheck, modelOutputError: modelOutputError))
    }
}
