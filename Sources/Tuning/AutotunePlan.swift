import Foundation
import Kernels
import Workloads

/// What an autotune works through: the unique layers, the precisions each is tuned in, and the
/// share of the time budget each layer gets per precision.
struct AutotunePlan {
    let unique: [Workload.UniqueLayer]
    let precisions: [[Precision]]
    /// Per layer, relative; a step (layer × precision) gets its layer's share.
    let shares: [Double]
    /// Steps before each layer (progress lines count steps).
    let firstStep: [Int]
    let totalSteps: Int

    init(_ request: Autotuner.Request) {
        let unique = request.workload.uniqueLayers
        let requested = [Precision.fp32] + request.precisions.filter { $0 != .fp32 }
        // Products of two activations run in fp32 only (nothing to store in another precision);
        // the depthwise kernel stores its weights in fp32 only.
        let precisions = unique.map { [.matmul, .dwconv2d].contains($0.layer.operation) ? [Precision.fp32] : requested }
        // Time is shared by what a trial of each layer costs: its execution time, estimated
        // from a typical core (50 GFLOP/s, 10 GB/s), with a floor so that small layers still
        // get a search.
        self.init(unique: unique, precisions: precisions, costs: unique.map { max($0.layer.flops / 50e9, $0.layer.minimumBytes() / 10e9) })
    }

    /// `costs`: each layer's estimated execution time (any unit: only the ratios count).
    init(unique: [Workload.UniqueLayer], precisions: [[Precision]], costs: [Double]) {
        self.unique = unique
        self.precisions = precisions
        let totalCost = max(costs.reduce(0, +), 1e-12)
        let floor = min(0.05, 1 / Double(2 * max(1, unique.count)))
        shares = costs.map { max($0 / totalCost, floor) }
        var steps = 0
        var first: [Int] = []
        for layerPrecisions in precisions {
            first.append(steps)
            steps += layerPrecisions.count
        }
        firstStep = first
        totalSteps = steps
    }

    /// Every step's share, summed.
    var totalShares: Double { zip(shares, precisions).reduce(0) { $0 + $1.0 * Double($1.1.count) } }

    /// Each layer's weight bytes times its precisions, summed.
    var totalBytes: Double { zip(unique, precisions).reduce(0.0) { $0 + $1.0.layer.minimumBytes() * Double($1.1.count) } }
}
