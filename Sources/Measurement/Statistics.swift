/// Summary statistics of repeated timings (or of any positive samples), with a
/// distribution-free 95% confidence interval of the median from order statistics.
public struct Statistics: Codable, Equatable, Sendable {
    public var count: Int
    public var min: Double
    public var max: Double
    public var mean: Double
    public var median: Double
    public var p10: Double
    public var p90: Double
    /// Sample standard deviation (n − 1).
    public var standardDeviation: Double
    /// Coefficient of variation: standard deviation / mean.
    public var cv: Double
    /// 95% confidence interval of the median.
    public var medianLow: Double
    public var medianHigh: Double

    public init(_ samples: [Double]) {
        precondition(!samples.isEmpty, "statistics of no samples")
        let sorted = samples.sorted()
        let n = sorted.count
        count = n
        min = sorted[0]
        max = sorted[n - 1]
        mean = sorted.reduce(0, +) / Double(n)
        median = Self.quantile(sorted, 0.5)
        p10 = Self.quantile(sorted, 0.1)
        p90 = Self.quantile(sorted, 0.9)
        let mean = mean
        let variance = n > 1 ? sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1) : 0
        standardDeviation = variance.squareRoot()
        cv = mean != 0 ? standardDeviation / mean : 0
        let (low, high) = Self.medianConfidenceRanks(n)
        medianLow = sorted[low]
        medianHigh = sorted[high]
    }

    /// Linear interpolation between closest ranks (the "type 7" quantile of R and NumPy).
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }

    /// 0-based ranks (j, k) of the sorted samples bounding the median with about 95%
    /// confidence: n/2 ∓ 1.96·√n/2 (normal approximation of the binomial). With fewer than
    /// 6 samples this is the whole range.
    public static func medianConfidenceRanks(_ n: Int) -> (Int, Int) {
        let half = 1.96 * Double(n).squareRoot() / 2
        let low = Int((Double(n) / 2 - half).rounded(.down)) - 1
        let high = Int((Double(n) / 2 + half).rounded(.up))
        return (Swift.max(0, low), Swift.min(n - 1, high))
    }

    /// Half the width of the median's confidence interval, relative to the median.
    public var relativeMedianHalfWidth: Double {
        median > 0 ? (medianHigh - medianLow) / 2 / median : .infinity
    }
}
