import Kernels

/// Replays a strategy against an exhaustively measured space — no kernel runs — to compare
/// strategies deterministically: after each trial, the fraction of the space's optimum the best
/// configuration found so far reaches.
public struct Simulation {
    public struct Curve: Sendable {
        /// Per trial count t (index t − 1): median over repeats of best-so-far / optimum.
        public var median: [Double]
        public var p10: [Double]
        public var p90: [Double]
    }

    public let space: SearchSpace
    /// Every measured configuration's score; a configuration absent here, or nil, failed.
    public let scores: [KernelConfig: Double]
    public let optimum: Double

    public init(space: SearchSpace, scores: [KernelConfig: Double]) {
        self.space = space
        self.scores = scores
        optimum = scores.values.max() ?? 0
    }

    /// Runs `repeats` seeds of the strategy `make(seed)` for `budget` trials each; `seeds` are
    /// measured first, as the tuner measures its analytical and transfer seeds.
    public func run(budget: Int, repeats: Int, seeds: [KernelConfig] = [], _ make: (UInt64) -> any SearchStrategy) -> Curve {
        var fractions = Array(repeating: [Double](), count: budget)
        for seed in 0..<repeats {
            var strategy = make(UInt64(seed) &+ 1)
            var history: [Trial] = []
            var best = 0.0
            for trial in 0..<budget {
                let seed = seeds.first { seed in !history.contains { $0.config == seed } }
                if let config = seed ?? strategy.next(in: space, history: history) {
                    let score = scores[config]
                    history.append(Trial(config: config, score: score))
                    best = max(best, score ?? 0)
                }
                fractions[trial].append(optimum > 0 ? best / optimum : 0)
            }
        }
        func quantile(_ values: [Double], _ q: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((q * Double(sorted.count - 1)).rounded()))]
        }
        return Curve(median: fractions.map { quantile($0, 0.5) }, p10: fractions.map { quantile($0, 0.1) },
                     p90: fractions.map { quantile($0, 0.9) })
    }
}
