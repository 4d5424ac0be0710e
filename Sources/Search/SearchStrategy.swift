import Kernels

/// One measured configuration as a strategy sees it: its score (GFLOP/s, higher is better) or
/// nil when it failed (invalid, wrong result, crashed, timed out).
public struct Trial: Sendable, Equatable {
    public var config: KernelConfig
    public var score: Double?

    public init(config: KernelConfig, score: Double?) {
        self.config = config
        self.score = score
    }
}

/// Proposes the next configuration to measure from what has been measured so far. Strategies
/// are deterministic given their seed, so searches and simulations replay exactly.
public protocol SearchStrategy {
    var name: String { get }
    /// The next configuration to try, never one already in `history`; nil when the strategy has
    /// nothing left to propose.
    mutating func next(in space: SearchSpace, history: [Trial]) -> KernelConfig?
}

extension Array where Element == Trial {
    /// The best successful trial.
    public var best: Trial? {
        filter { $0.score != nil }.max { ($0.score ?? 0) < ($1.score ?? 0) }
    }

    func contains(config: KernelConfig) -> Bool { contains { $0.config == config } }
}
