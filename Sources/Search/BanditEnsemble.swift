import Foundation
import Kernels

/// OpenTuner-style ensemble: several strategies share one history, and a multi-armed bandit
/// decides which proposes next. An arm earns credit when its proposal beats the best so far;
/// it is chosen by upper confidence bound over a sliding window of recent uses, so a strategy
/// that stops paying off loses its turns.
public struct BanditEnsemble: SearchStrategy {
    public var name: String { "bandit(\(arms.map(\.name).joined(separator: ",")))" }
    private var arms: [any SearchStrategy]
    /// (arm, reward) of recent proposals, newest last.
    private var window: [(arm: Int, reward: Double)] = []
    private let windowSize: Int
    private let exploration: Double
    /// The arm that proposed each configuration not yet seen in the history.
    private var pending: [KernelConfig: Int] = [:]
    private var seenTrials = 0
    private var bestScore = -Double.infinity

    public init(arms: [any SearchStrategy], windowSize: Int = 50, exploration: Double = 0.5) {
        precondition(!arms.isEmpty, "an ensemble needs at least one strategy")
        self.arms = arms
        self.windowSize = windowSize
        self.exploration = exploration
    }

    /// The default ensemble: random, simulated annealing and the genetic algorithm.
    public static func standard(seed: UInt64) -> BanditEnsemble {
        BanditEnsemble(arms: [RandomSearch(seed: seed), SimulatedAnnealing(seed: seed &+ 1), GeneticSearch(seed: seed &+ 2)])
    }

    /// How many of the recent window's proposals each arm made (for reports and tests).
    public var recentUses: [Int] {
        arms.indices.map { arm in window.filter { $0.arm == arm }.count }
    }

    public mutating func next(in space: SearchSpace, history: [Trial]) -> KernelConfig? {
        credit(history)
        // Arms that are exhausted are skipped; try the others in order of preference.
        var tried = Set<Int>()
        while tried.count < arms.count {
            let arm = choose(excluding: tried)
            tried.insert(arm)
            if let config = arms[arm].next(in: space, history: history) {
                pending[config] = arm
                return config
            }
        }
        return nil
    }

    private mutating func credit(_ history: [Trial]) {
        for trial in history[min(seenTrials, history.count)...] {
            let score = trial.score ?? -Double.infinity
            let reward = score > bestScore ? 1.0 : 0.0
            bestScore = max(bestScore, score)
            if let arm = pending.removeValue(forKey: trial.config) {
                window.append((arm, reward))
                if window.count > windowSize { window.removeFirst(window.count - windowSize) }
            }
        }
        seenTrials = history.count
    }

    private func choose(excluding tried: Set<Int>) -> Int {
        let candidates = arms.indices.filter { !tried.contains($0) }
        let total = Double(max(1, window.count))
        func bound(_ arm: Int) -> Double {
            let uses = window.filter { $0.arm == arm }
            guard !uses.isEmpty else { return .infinity } // every arm gets tried
            let mean = uses.map(\.reward).reduce(0, +) / Double(uses.count)
            return mean + exploration * (2 * log(total) / Double(uses.count)).squareRoot()
        }
        return candidates.max { bound($0) < bound($1) } ?? candidates[0]
    }
}
