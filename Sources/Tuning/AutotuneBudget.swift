import Foundation

/// How many seconds each step of an autotune searches.
///
/// Alone, a tuner hands each step its share of the time still left, less what the steps after
/// it are expected to spend beyond their search budgets (the final race, preparing large
/// weights), measured on the steps so far: so the whole autotune ends near `--time`. Seen
/// before this: a 15-minute Llama-3-8B autotune took 963 s.
///
/// Sharing a model with other tuners, a tuner does not know which layers it will get, so each
/// step gets a fixed part of the planned time: its share of it. Every layer then searches as
/// long as it would alone, and N tuners finish in about 1/N of the time.
final class AutotuneBudget {
    /// The part of the time budget the searches are planned in; the rest absorbs what the
    /// prediction misses. Measured before it: a 15-minute Llama-3-8B autotune took 942 s with
    /// the prediction alone (the last LM-head steps overran).
    static let searchFraction = 0.9

    private let plan: AutotunePlan
    private let totalSeconds: Double
    private let fixed: Bool
    private let started = Date()
    private var sharesLeft: Double
    // Beyond-budget seconds of the steps so far, and their layers' bytes: the overrun grows
    // with the weights (preparing and racing them), so it is predicted per byte.
    private var overrunSeconds = 0.0
    private var overrunBytes = 0.0
    private var bytesLeft: Double

    init(plan: AutotunePlan, totalSeconds: Double, fixedShares: Bool) {
        self.plan = plan
        self.totalSeconds = totalSeconds
        fixed = fixedShares
        sharesLeft = plan.totalShares
        bytesLeft = plan.totalBytes
    }

    /// The next step of `layer`: its search seconds, and the planned seconds left.
    func nextStep(layer: Int) -> (seconds: Double, left: Double) {
        let planned = totalSeconds * Self.searchFraction
        let left = max(0, planned - Date().timeIntervalSince(started))
        if fixed { return (planned * plan.shares[layer] / max(plan.totalShares, 1e-12), left) }
        let expectedOverrun = overrunBytes > 0 ? overrunSeconds / overrunBytes * bytesLeft : 0
        bytesLeft -= plan.unique[layer].layer.minimumBytes()
        let seconds = max(0, left - expectedOverrun) * plan.shares[layer] / max(sharesLeft, 1e-12)
        sharesLeft -= plan.shares[layer]
        return (seconds, left)
    }

    /// A step of `layer` took `seconds` with a search budget of `budget`.
    func stepTook(_ seconds: Double, budget: Double, layer: Int) {
        overrunSeconds += max(0, seconds - budget)
        overrunBytes += plan.unique[layer].layer.minimumBytes()
    }
}
