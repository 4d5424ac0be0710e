import Foundation
import Kernels

/// A Gaussian-process surrogate fitted to the measured configurations (coordinates scaled to
/// [0, 1], log score, RBF kernel) proposes the candidate with the highest expected improvement
/// among random valid points and the neighbors of the best ones. The first proposals are
/// random, to give the model something to fit.
public struct ModelGuidedSearch: SearchStrategy {
    public var name: String { "model" }
    private var generator: SplitMix64
    private let initial: Int
    private let candidates: Int
    /// The model fits at most this many trials (the best half, the most recent half), keeping
    /// each proposal's cost bounded: the solve is cubic in it.
    private let modelSize: Int
    private let lengthScale: Double

    public init(seed: UInt64, initial: Int = 10, candidates: Int = 256, modelSize: Int = 60, lengthScale: Double = 0.3) {
        generator = SplitMix64(seed: seed)
        self.initial = initial
        self.candidates = candidates
        self.modelSize = modelSize
        self.lengthScale = lengthScale
    }

    public mutating func next(in space: SearchSpace, history: [Trial]) -> KernelConfig? {
        let measured = history.filter { ($0.score ?? 0) > 0 }
        var random = RandomSearch(seed: generator.next())
        guard measured.count >= initial else { return random.next(in: space, history: history) }
        let training = Self.select(measured, limit: modelSize)
        let points = training.compactMap { space.coordinates(of: $0.config).map { Self.scale($0, space.radices) } }
        let targets = training.compactMap { $0.score.map { log($0) } }
        guard points.count == targets.count, let model = GaussianProcess(points: points, targets: targets, lengthScale: lengthScale) else {
            return random.next(in: space, history: history)
        }
        let seen = Set(history.map(\.config))
        var pool = Set<KernelConfig>()
        for trial in measured.sorted(by: { ($0.score ?? 0) > ($1.score ?? 0) }).prefix(3) {
            pool.formUnion(space.neighbors(of: trial.config))
        }
        for _ in 0..<candidates {
            if let config = space.randomValid(using: &generator, attempts: 100) { pool.insert(config) }
        }
        let best = targets.max() ?? 0
        let choice = pool.subtracting(seen).sorted { $0.description < $1.description }.max { a, b in
            model.expectedImprovement(Self.scale(space.coordinates(of: a) ?? [], space.radices), over: best)
                < model.expectedImprovement(Self.scale(space.coordinates(of: b) ?? [], space.radices), over: best)
        }
        return choice ?? random.next(in: space, history: history)
    }

    static func scale(_ coordinates: [Int], _ radices: [Int]) -> [Double] {
        zip(coordinates, radices).map { $1 > 1 ? Double($0) / Double($1 - 1) : 0 }
    }

    /// The best `limit / 2` and the most recent of the rest, up to `limit`.
    static func select(_ trials: [Trial], limit: Int) -> [Trial] {
        guard trials.count > limit else { return trials }
        let best = trials.sorted { ($0.score ?? 0) > ($1.score ?? 0) }.prefix(limit / 2)
        let chosen = Set(best.map(\.config))
        let recent = trials.reversed().filter { !chosen.contains($0.config) }.prefix(limit - best.count)
        return Array(best) + recent
    }
}

/// A Gaussian process with an RBF kernel and fixed hyperparameters (length scale, signal
/// variance from the targets, a small noise term), solved by Cholesky.
struct GaussianProcess {
    let points: [[Double]]
    let mean: Double
    let variance: Double
    let lengthScale: Double
    let lower: [[Double]]   // Cholesky factor of K + noise
    let alpha: [Double]     // (K + noise)^-1 (y − mean)

    init?(points: [[Double]], targets: [Double], lengthScale: Double) {
        let n = points.count
        guard n > 0 else { return nil }
        self.points = points
        self.lengthScale = lengthScale
        mean = targets.reduce(0, +) / Double(n)
        let spread = targets.map { ($0 - targets.reduce(0, +) / Double(n)) * ($0 - targets.reduce(0, +) / Double(n)) }.reduce(0, +) / Double(n)
        variance = max(spread, 1e-6)
        var matrix = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0...i {
                let value = Self.kernel(points[i], points[j], lengthScale) * variance
                matrix[i][j] = value
                matrix[j][i] = value
            }
            matrix[i][i] += 1e-3 * variance
        }
        guard let factor = Self.cholesky(matrix) else { return nil }
        lower = factor
        let centered = targets.map { $0 - (targets.reduce(0, +) / Double(n)) }
        alpha = Self.solveUpper(factor, Self.solveLower(factor, centered))
    }

    static func kernel(_ a: [Double], _ b: [Double], _ lengthScale: Double) -> Double {
        let distance = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
        return exp(-distance / (2 * lengthScale * lengthScale))
    }

    func predict(_ x: [Double]) -> (mean: Double, deviation: Double) {
        let k = points.map { Self.kernel($0, x, lengthScale) * variance }
        let mu = mean + zip(k, alpha).map(*).reduce(0, +)
        let v = Self.solveLower(lower, k)
        let remaining = max(variance - v.map { $0 * $0 }.reduce(0, +), 1e-12)
        return (mu, remaining.squareRoot())
    }

    /// E[max(f(x) − best, 0)] under the posterior.
    func expectedImprovement(_ x: [Double], over best: Double) -> Double {
        let (mu, sigma) = predict(x)
        let z = (mu - best) / sigma
        let pdf = exp(-z * z / 2) / (2 * Double.pi).squareRoot()
        let cdf = 0.5 * erfc(-z / 2.0.squareRoot())
        return (mu - best) * cdf + sigma * pdf
    }

    static func cholesky(_ a: [[Double]]) -> [[Double]]? {
        let n = a.count
        var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0...i {
                var sum = a[i][j]
                for k in 0..<j { sum -= l[i][k] * l[j][k] }
                if i == j {
                    guard sum > 0 else { return nil }
                    l[i][i] = sum.squareRoot()
                } else {
                    l[i][j] = sum / l[j][j]
                }
            }
        }
        return l
    }

    /// Solves L y = b.
    static func solveLower(_ l: [[Double]], _ b: [Double]) -> [Double] {
        var y = b
        for i in y.indices {
            for k in 0..<i { y[i] -= l[i][k] * y[k] }
            y[i] /= l[i][i]
        }
        return y
    }

    /// Solves Lᵀ x = y.
    static func solveUpper(_ l: [[Double]], _ y: [Double]) -> [Double] {
        var x = y
        for i in x.indices.reversed() {
            for k in (i + 1)..<x.count { x[i] -= l[k][i] * x[k] }
            x[i] /= l[i][i]
        }
        return x
    }
}
