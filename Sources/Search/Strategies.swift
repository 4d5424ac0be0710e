import Foundation
import Kernels

/// Every valid configuration in index order.
public struct ExhaustiveSearch: SearchStrategy {
    public var name: String { "exhaustive" }
    private var position = 0

    public init() {}

    public mutating func next(in space: SearchSpace, history: [Trial]) -> KernelConfig? {
        while position < space.size {
            let candidate = space.config(at: position)
            position += 1
            if space.isValid(candidate), !history.contains(config: candidate) { return candidate }
        }
        return nil
    }
}

/// Uniform random valid configurations, without repeats.
public struct RandomSearch: SearchStrategy {
    public var name: String { "random" }
    private var generator: SplitMix64

    public init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    public mutating func next(in space: SearchSpace, history: [Trial]) -> KernelConfig? {
        for _ in 0..<1000 {
            guard let candidate = space.randomValid(using: &generator) else { return nil }
            if !history.contains(config: candidate) { return candidate }
        }
        return nil
    }
}

/// Simulated annealing over neighbors: from the current point, a random unmeasured neighbor;
/// it becomes current if better, or with probability exp(Δ / T) on the relative score change
/// when worse. T falls geometrically; a point with no unmeasured neighbor restarts at random.
public struct SimulatedAnnealing: SearchStrategy {
    public var name: String { "annealing" }
    private var generator: SplitMix64
    private var current: Trial?
    private var temperature: Double
    private let cooling: Double
    private var evaluatedUpTo = 0

    public init(seed: UInt64, initialTemperature: Double = 0.2, cooling: Double = 0.95) {
        generator = SplitMix64(seed: seed)
        temperature = initialTemperature
        self.cooling = cooling
    }

    public mutating func next(in space: SearchSpace, history: [Trial]) -> KernelConfig? {
        // Judge the trials measured since the last proposal against the current point.
        for trial in history[min(evaluatedUpTo, history.count)...] {
            guard let score = trial.score else { continue }
            if let current, let currentScore = current.score {
                let change = (score - currentScore) / max(abs(currentScore), 1e-12)
                if change >= 0 || Double.random(in: 0..<1, using: &generator) < exp(change / max(temperature, 1e-9)) {
                    self.current = trial
                }
            } else {
                current = trial
            }
            temperature *= cooling
        }
        evaluatedUpTo = history.count
        if let current {
            let fresh = space.neighbors(of: current.config).filter { !history.contains(config: $0) }
            if let pick = fresh.randomElement(using: &generator) { return pick }
            self.current = nil
        }
        var random = RandomSearch(seed: generator.next())
        return random.next(in: space, history: history)
    }
}

/// A genetic algorithm: tournament selection among the measured, uniform crossover of
/// coordinates, mutation of each coordinate with probability 1 / parameters; the first
/// `population` proposals are random.
public struct GeneticSearch: SearchStrategy {
    public var name: String { "genetic" }
    private var generator: SplitMix64
    private let population: Int

    public init(seed: UInt64, population: Int = 12) {
        generator = SplitMix64(seed: seed)
        self.population = population
    }

    public mutating func next(in space: SearchSpace, history: [Trial]) -> KernelConfig? {
        let measured = history.filter { $0.score != nil }
        if measured.count < population {
            var random = RandomSearch(seed: generator.next())
            return random.next(in: space, history: history)
        }
        for _ in 0..<200 {
            guard let a = tournament(measured), let b = tournament(measured),
                  let x = space.coordinates(of: a.config), let y = space.coordinates(of: b.config) else { break }
            var child = zip(x, y).map { Bool.random(using: &generator) ? $0 : $1 }
            for position in child.indices where Double.random(in: 0..<1, using: &generator) < 1 / Double(child.count) {
                child[position] = Int.random(in: 0..<space.radices[position], using: &generator)
            }
            let candidate = space.config(coordinates: child)
            if space.isValid(candidate), !history.contains(config: candidate) { return candidate }
        }
        var random = RandomSearch(seed: generator.next())
        return random.next(in: space, history: history)
    }

    /// The best of three random measured trials.
    private mutating func tournament(_ measured: [Trial]) -> Trial? {
        (0..<3).compactMap { _ in measured.randomElement(using: &generator) }.max { ($0.score ?? 0) < ($1.score ?? 0) }
    }
}
