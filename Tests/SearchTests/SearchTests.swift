import Foundation
import Kernels

@testable import Search
import Testing

/// A synthetic objective with a known optimum: a smooth bowl over four parameters with a
/// constraint that cuts holes in the space. Optimum 100 at a=7, b=2, c=5, d=y.
enum Bowl {
    static let space = ParameterSpace(
        kernel: "bowl",
        parameters: [.init("a", (0..<10).map { .int($0) }), .init("b", (0..<10).map { .int($0) }),
                     .init("c", (0..<10).map { .int($0) }), .init("d", ["x", "y"])],
        constraints: [.init("(a + b) % 7 != 3") { (($0.int("a") ?? 0) + ($0.int("b") ?? 0)) % 7 != 3 }]
    )

    static func score(_ config: KernelConfig) -> Double {
        let a = Double(config.int("a") ?? 0) - 7, b = Double(config.int("b") ?? 0) - 2, c = Double(config.int("c") ?? 0) - 5
        let d = config.text("d") == "y" ? 0.0 : 1.0
        return 100 * exp(-(a * a + b * b + c * c + 4 * d) / 18)
    }

    static let searchSpace = SearchSpace(space)
    static let scores: [KernelConfig: Double] = Dictionary(uniqueKeysWithValues: searchSpace.allValid().map { ($0, score($0)) })
}

/// Counts constraint evaluations; tests run it on one thread.
final class EvaluationCounter: @unchecked Sendable {
    var count = 0
}

@Suite("search spaces and strategies")
struct SearchTests {
    @Test("points and indexes round-trip")
    func indexRoundTrip() {
        let space = Bowl.searchSpace
        #expect(space.size == 2000)
        for index in [0, 1, 17, 999, 1999] {
            #expect(space.index(of: space.config(at: index)) == index)
        }
        #expect(space.config(at: 0).description == "bowl a=0,b=0,c=0,d=x")
        #expect(space.index(of: KernelConfig(kernel: "bowl", values: ["a": 11])) == nil)
    }

    @Test("sampling a space of a million points does not enumerate it")
    func lazySampling() {
        let counter = EvaluationCounter()
        let space = SearchSpace(ParameterSpace(
            kernel: "big", parameters: (0..<6).map { .init("p\($0)", (0..<10).map { .int($0) }) },
            constraints: [.init("p0 != p1") { config in counter.count += 1; return config.int("p0") != config.int("p1") }]
        ))
        #expect(space.size == 1_000_000)
        var generator = SplitMix64(seed: 7)
        let samples = (0..<100).compactMap { _ in space.randomValid(using: &generator) }
        #expect(samples.count == 100)
        #expect(samples.allSatisfy { $0.int("p0") != $0.int("p1") })
        #expect(counter.count < 200) // about 1.1 draws per sample, never a million
    }

    @Test("ranges, powers of two and derived parameters: derived values are filled in, never searched")
    func derivedParameters() throws {
        let space = ParameterSpace(
            kernel: "blocked",
            parameters: [.range("mr", 4...12, step: 4), .powersOfTwo("tiles", 3...40)],
            constraints: [.init("mc <= 256") { ($0.int("mc") ?? 0) <= 256 }],
            derived: [.init("mc") { .int(($0.int("mr") ?? 0) * ($0.int("tiles") ?? 0)) }]
        )
        #expect(space.parameters.map { $0.values.map(\.description) } == [["4", "8", "12"], ["4", "8", "16", "32"]])
        let search = SearchSpace(space)
        #expect(search.size == 12) // mc is not a dimension
        let valid = search.allValid()
        #expect(valid.allSatisfy { $0.int("mc") == $0.int("mr")! * $0.int("tiles")! })
        #expect(valid.count == 11) // 12 x 32 = 384 breaks the constraint on the derived value
        let given = KernelConfig(kernel: "blocked", values: ["mr": 8, "tiles": 4, "mc": 40])
        #expect(space.violations(given) == ["mc=40 but it is derived: 32 here"])
        #expect(space.violations(KernelConfig(kernel: "blocked", values: ["mr": 8, "tiles": 4])).isEmpty)
        #expect(search.index(of: valid[0]) == 0)
        #expect(throws: SearchError.self) { try space.fixing("mc=32") }
    }

    @Test("the catalog builds every strategy; auto is exhaustive when the space fits the budget")
    func catalog() throws {
        for name in StrategyCatalog.names { _ = try StrategyCatalog.make(name, seed: 1) }
        #expect(try StrategyCatalog.make("auto", seed: 1, budget: 100, validSize: 80).name == "exhaustive")
        #expect(try StrategyCatalog.make("auto", seed: 1, budget: 50, validSize: 80).name.hasPrefix("bandit("))
        #expect(try StrategyCatalog.make("auto", seed: 1, budget: nil, validSize: 200).name == "exhaustive")
        #expect(try StrategyCatalog.make("auto", seed: 1, budget: nil, validSize: 5000).name.hasPrefix("bandit("))
        #expect(throws: SearchError.self) { try StrategyCatalog.make("psychic", seed: 1) }
    }

    @Test("valid size: counted in small spaces, estimated by sampling in large ones; isValid agrees with violations")
    func validSize() {
        let space = Bowl.searchSpace
        let exact = space.validSize()
        #expect(exact.exact && exact.count == Bowl.scores.count)
        let estimate = space.validSize(exactLimit: 100, samples: 4000)
        #expect(!estimate.exact)
        #expect(abs(Double(estimate.count) / Double(exact.count) - 1) < 0.05)
        for index in stride(from: 0, to: space.size, by: 7) {
            let config = space.config(at: index)
            #expect(space.isValid(config) == Bowl.space.violations(config).isEmpty)
        }
        #expect(!Bowl.space.isValid(KernelConfig(kernel: "bowl", values: ["a": 7, "b": 2, "c": 5, "d": "y", "e": 1])))
        #expect(!Bowl.space.isValid(KernelConfig(kernel: "bowl", values: ["a": 7, "b": 2, "c": 5])))
    }

    @Test("neighbors are valid and one step away")
    func neighbors() throws {
        let space = Bowl.searchSpace
        let origin = KernelConfig(kernel: "bowl", values: ["a": 5, "b": 5, "c": 0, "d": "x"])
        let neighbors = space.neighbors(of: origin)
        let origin0 = try #require(space.coordinates(of: origin))
        #expect(!neighbors.isEmpty)
        for neighbor in neighbors {
            let moved = try #require(space.coordinates(of: neighbor))
            #expect(zip(moved, origin0).map { abs($0 - $1) }.reduce(0, +) == 1)
            #expect(space.isValid(neighbor))
        }
    }

    @Test("exhaustive search proposes every valid point once and finds the optimum")
    func exhaustive() {
        var strategy = ExhaustiveSearch()
        var history: [Trial] = []
        while let config = strategy.next(in: Bowl.searchSpace, history: history) {
            history.append(Trial(config: config, score: Bowl.score(config)))
        }
        #expect(history.count == Bowl.scores.count)
        #expect(Set(history.map(\.config)).count == history.count)
        #expect(history.best?.score == 100)
        #expect(history.best?.config.description == "bowl a=7,b=2,c=5,d=y")
    }

    @Test("random search is reproducible from its seed and never repeats")
    func randomSearch() {
        func run(_ seed: UInt64) -> [KernelConfig] {
            var strategy = RandomSearch(seed: seed)
            var history: [Trial] = []
            for _ in 0..<200 {
                guard let config = strategy.next(in: Bowl.searchSpace, history: history) else { break }
                history.append(Trial(config: config, score: Bowl.score(config)))
            }
            return history.map(\.config)
        }
        #expect(run(3) == run(3))
        #expect(run(3) != run(4))
        #expect(Set(run(3)).count == 200)
    }

    @Test("annealing and the genetic algorithm find the optimum in a fraction of the space, ahead of random search")
    func guidedStrategies() {
        let simulation = Simulation(space: Bowl.searchSpace, scores: Bowl.scores)
        let budget = 200 // 11% of the valid points
        let random = simulation.run(budget: budget, repeats: 10) { RandomSearch(seed: $0) }
        let annealing = simulation.run(budget: budget, repeats: 10) { SimulatedAnnealing(seed: $0) }
        let genetic = simulation.run(budget: budget, repeats: 10) { GeneticSearch(seed: $0) }
        #expect(annealing.median[budget - 1] == 1)
        #expect(genetic.median[budget - 1] >= 0.97)
        // Guided search gets there sooner: compare the trials each needs to reach 95%.
        func trialsTo(_ curve: Simulation.Curve, _ level: Double) -> Int {
            (curve.median.firstIndex { $0 >= level } ?? budget) + 1
        }
        #expect(trialsTo(annealing, 0.95) < trialsTo(random, 0.95))
        // Curves never go down: best-so-far.
        #expect(zip(annealing.median, annealing.median.dropFirst()).allSatisfy { $0 <= $1 })
    }
}

@Suite("bandit ensemble")
struct BanditTests {
    @Test("the ensemble finds the optimum and uses every arm")
    func ensemble() {
        let simulation = Simulation(space: Bowl.searchSpace, scores: Bowl.scores)
        let curve = simulation.run(budget: 200, repeats: 10) { BanditEnsemble.standard(seed: $0) }
        #expect(curve.median[199] >= 0.99)
        var strategy = BanditEnsemble.standard(seed: 5)
        var history: [Trial] = []
        for _ in 0..<60 {
            guard let config = strategy.next(in: Bowl.searchSpace, history: history) else { break }
            history.append(Trial(config: config, score: Bowl.score(config)))
        }
        _ = strategy.next(in: Bowl.searchSpace, history: history)
        #expect(strategy.recentUses.allSatisfy { $0 > 0 })
        #expect(strategy.recentUses.reduce(0, +) == 50) // the window
        #expect(Set(history.map(\.config)).count == history.count)
    }

    @Test("an arm whose proposals never improve loses its turns")
    func credit() {
        /// Always proposes the worst remaining configuration.
        struct Pessimist: SearchStrategy {
            var name: String { "pessimist" }
            mutating func next(in space: SearchSpace, history: [Trial]) -> KernelConfig? {
                let seen = Set(history.map(\.config))
                return Bowl.scores.filter { !seen.contains($0.key) }.min { $0.value < $1.value }?.key
            }
        }
        var strategy = BanditEnsemble(arms: [Pessimist(), SimulatedAnnealing(seed: 1)], windowSize: 100)
        var history: [Trial] = []
        // While annealing still climbs (before the optimum), it earns the turns.
        for _ in 0..<40 {
            guard let config = strategy.next(in: Bowl.searchSpace, history: history) else { break }
            history.append(Trial(config: config, score: Bowl.score(config)))
        }
        _ = strategy.next(in: Bowl.searchSpace, history: history)
        let uses = strategy.recentUses
        #expect(uses[1] >= 2 * uses[0], "\(uses)")
    }
}

@Suite("model-guided search")
struct ModelGuidedTests {
    @Test("the Gaussian process interpolates what it was fitted to")
    func interpolates() throws {
        let points: [[Double]] = [[0], [0.25], [0.5], [0.75], [1]]
        let targets = points.map { sin(4 * $0[0]) }
        let model = try #require(GaussianProcess(points: points, targets: targets, lengthScale: 0.3))
        for (point, target) in zip(points, targets) {
            let (mean, deviation) = model.predict(point)
            #expect(abs(mean - target) < 0.05)
            #expect(deviation < 0.1)
        }
        // Far from the data the model is unsure.
        #expect(model.predict([3]).deviation > model.predict([0.5]).deviation)
    }

    @Test("the surrogate reaches the optimum, ahead of random search")
    func reachesOptimum() {
        let simulation = Simulation(space: Bowl.searchSpace, scores: Bowl.scores)
        let budget = 60
        let model = simulation.run(budget: budget, repeats: 5) { ModelGuidedSearch(seed: $0, candidates: 64, modelSize: 30) }
        let random = simulation.run(budget: budget, repeats: 5) { RandomSearch(seed: $0) }
        #expect(model.median[budget - 1] >= 0.99)
        #expect(model.median[budget - 1] >= random.median[budget - 1])
    }
}
