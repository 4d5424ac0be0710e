import Foundation
import HardwareProbe
import Kernels
import TuningDatabase
import Workloads

/// Tunes a whole workload: every unique layer once, in each candidate weight precision, within
/// a total time budget shared out by layer cost; per layer, the fastest precision whose error
/// stays within `maxError` wins. Layers already tuned for this profile and kernel-library
/// version are reused (so an interrupted autotune continues where it stopped).
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
        public var kernel: String
        public var candidates: [Candidate]
        /// The winning candidate's index in `candidates`.
        public var chosen: Int?
        /// Seconds per execution of the fp32 default configuration (the baseline).
        public var defaultSeconds: Double?

        public var winner: Candidate? { chosen.map { candidates[$0] } }
        public var tunedSeconds: Double? { winner?.best?.medianSeconds }
    }

    public struct Result: Sendable {
        public var workload: Workload
        public var layers: [LayerResult]
        public var profileID: String

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
        case layerReused(index: Int, of: Int, layer: Layer, precision: Precision)
        case trial(TuneProgress)
    }

    public let tuner: Tuner
    /// The part of the time budget the searches are planned in; the rest absorbs what the
    /// prediction misses. Measured before it: a 15-minute Llama-3-8B autotune took 942 s with
    /// the prediction alone (the last LM-head steps overran).
    static let searchFraction = 0.9

    public init(tuner: Tuner) {
        self.tuner = tuner
    }

    /// The kernel that serves a layer (KernelChoice).
    public static func kernelName(for layer: Layer) -> String {
        KernelChoice.kernel(operation: layer.operation.rawValue, m: layer.m)
    }

    public func run(_ request: Request, progress: (Progress) -> Void = { _ in }) throws -> Result {
        let unique = request.workload.uniqueLayers
        let requested = [Precision.fp32] + request.precisions.filter { $0 != .fp32 }
        // Products of two activations run in fp32 only (nothing to store in another precision).
        let precisions = unique.map { $0.layer.operation == .matmul ? [Precision.fp32] : requested }
        // Time is shared by what a trial of each layer costs: its execution time, estimated
        // from a typical core (50 GFLOP/s, 10 GB/s), with a floor so that small layers still
        // get a search. Each step gets its share of the time still left, less what the steps
        // after it are expected to spend beyond their search budgets (the final race, preparing
        // large weights): measured on the steps so far. Seen here before this: a 15-minute
        // Llama-3-8B autotune took 963 s.
        let costs = unique.map { max($0.layer.flops / 50e9, $0.layer.minimumBytes / 10e9) }
        let totalCost = max(costs.reduce(0, +), 1e-12)
        let floor = min(0.05, 1 / Double(2 * max(1, unique.count)))
        let shares = costs.map { max($0 / totalCost, floor) }
        var sharesLeft = zip(shares, precisions).reduce(0) { $0 + $1.0 * Double($1.1.count) }
        let profile = tuner.profile
        let existing = request.retune ? [] : try tuner.database.best(profileID: profile.id, kernelLibraryVersion: KernelLibrary.version)
        let started = Date()
        var results: [LayerResult] = []
        let total = precisions.reduce(0) { $0 + $1.count }
        var step = 0
        // Beyond-budget seconds of the steps so far, and their layers' bytes: the overrun grows
        // with the weights (preparing and racing them), so it is predicted per byte.
        var overrunSeconds = 0.0
        var overrunBytes = 0.0
        var bytesLeft = zip(unique, precisions).reduce(0.0) { $0 + $1.0.layer.minimumBytes * Double($1.1.count) }
        for (index, entry) in unique.enumerated() {
            let kernel = Self.kernelName(for: entry.layer)
            var candidates: [Candidate] = []
            for precision in precisions[index] {
                step += 1
                let expectedOverrun = overrunBytes > 0 ? overrunSeconds / overrunBytes * bytesLeft : 0
                bytesLeft -= entry.layer.minimumBytes
                let left = max(0, request.totalSeconds * Self.searchFraction - Date().timeIntervalSince(started))
                let budget = max(0, left - expectedOverrun) * shares[index] / max(sharesLeft, 1e-12)
                sharesLeft -= shares[index]
                let problem = KernelProblem(kernel: kernel, shape: entry.layer.shapeArgument, precision: precision, epilogue: entry.layer.epilogue.argument)
                let signature = try problem.make(limits: .init(profile: profile)).signature
                var candidate = Candidate(precision: precision, best: nil, relativeError: nil, rejection: nil, reused: false)
                if let recorded = existing.first(where: { $0.layer == signature && $0.kernel == kernel }) {
                    progress(.layerReused(index: step, of: total, layer: entry.layer, precision: precision))
                    candidate.best = recorded
                    candidate.reused = true
                    candidate.relativeError = try tuner.database.trials(runID: recorded.runId).first { $0.config == recorded.config }?.relativeError
                } else {
                    progress(.layerStarted(index: step, of: total, layer: entry.layer, precision: precision, seconds: budget, remainingSeconds: left))
                    var tune = TuneRequest(problem: problem, strategy: request.strategy, budgetTrials: nil, budgetSeconds: budget)
                    tune.settings = request.settings
                    let stepStarted = Date()
                    let result = try tuner.tune(tune) { progress(.trial($0)) }
                    overrunSeconds += max(0, Date().timeIntervalSince(stepStarted) - budget)
                    overrunBytes += entry.layer.minimumBytes
                    candidate.best = result.best
                    candidate.relativeError = result.best.flatMap { best in result.trials.first { $0.config == best.config }?.relativeError }
                }
                if let best = candidate.best, !entry.weights.isEmpty {
                    do {
                        candidate.relativeError = try ModelWeightError.worst(over: entry.weights, precision: precision, group: (try? KernelConfig(parsing: best.config))?.int("group") ?? 0)
                        candidate.errorOnModelWeights = true
                    } catch let error as KernelError {
                        candidate.rejection = "the model's weights cannot be stored in \(precision.rawValue): \(error.message)"
                    }
                }
                if candidate.best == nil {
                    candidate.rejection = "no configuration ran successfully"
                } else if candidate.rejection == nil, let error = candidate.relativeError, error > request.maxError {
                    candidate.rejection = String(format: "error %.2g above the limit %.2g", error, request.maxError)
                }
                candidates.append(candidate)
            }
            let eligible = candidates.indices.filter { candidates[$0].rejection == nil && candidates[$0].best != nil }
            let chosen = eligible.min { (candidates[$0].best?.medianSeconds ?? .infinity) < (candidates[$1].best?.medianSeconds ?? .infinity) }
            // The baseline: the fp32 default configuration, from the fp32 run's race with it.
            let fp32 = candidates.first { $0.precision == .fp32 }?.best
            let defaultSeconds = fp32.flatMap { best in best.speedupOverDefault.map { best.medianSeconds * $0 } }
            if let chosen, let best = candidates[chosen].best {
                // What deployments of this profile get for the layer (TunebenchRuntime, export).
                try tuner.database.record(choice: ChoiceRecord(
                    profileId: profile.id, layer: entry.layer.description, kernelLibraryVersion: KernelLibrary.version,
                    policy: request.policy, precision: candidates[chosen].precision.rawValue, bestLayer: best.layer,
                    relativeError: candidates[chosen].relativeError, errorOnModelWeights: candidates[chosen].errorOnModelWeights,
                    decidedAt: Timestamp.now()))
            }
            results.append(LayerResult(layer: entry.layer, multiplicity: entry.multiplicity, names: entry.names, kernel: kernel,
                                       candidates: candidates, chosen: chosen, defaultSeconds: defaultSeconds))
        }
        return Result(workload: request.workload, layers: results, profileID: profile.id)
    }
}
