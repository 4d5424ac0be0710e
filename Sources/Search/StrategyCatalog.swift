/// The search strategies, as `--strategy` names them.
public enum StrategyName: String, CaseIterable, Sendable {
    /// Exhaustive when the space fits in the budget, else a bandit over model-guided, annealing
    /// and genetic search.
    case auto
    case exhaustive, random, annealing, genetic, bandit, model

    /// What `simulate --strategy all` replays: every search, `auto` last (exhaustive replays
    /// only reproduce the recording).
    public static let replayedByDefault: [StrategyName] = [.random, .annealing, .genetic, .bandit, .model, .auto]
}

/// Strategies by the names users type (`--strategy`).
public enum StrategyCatalog {
    public static let names = StrategyName.allCases.map(\.rawValue)

    /// - Parameters:
    ///   - budget: the trial budget (nil: a time budget only).
    ///   - validSize: valid configurations in the space, when known: `auto` measures a space
    ///     that fits in the trial budget exhaustively (without one: up to 256 configurations).
    public static func make(_ name: String, seed: UInt64, budget: Int? = nil, validSize: Int? = nil) throws -> any SearchStrategy {
        guard let strategy = StrategyName(rawValue: name) else {
            throw SearchError(message: "unknown strategy \"\(name)\" (known: \(names.joined(separator: ", ")))")
        }
        switch strategy {
        case .exhaustive: return ExhaustiveSearch()
        case .random: return RandomSearch(seed: seed)
        case .annealing: return SimulatedAnnealing(seed: seed)
        case .genetic: return GeneticSearch(seed: seed)
        case .bandit: return BanditEnsemble.standard(seed: seed)
        case .model: return ModelGuidedSearch(seed: seed)
        case .auto:
            if let validSize, validSize <= (budget ?? 256) { return ExhaustiveSearch() }
            return BanditEnsemble(arms: [ModelGuidedSearch(seed: seed), SimulatedAnnealing(seed: seed &+ 1), GeneticSearch(seed: seed &+ 2)])
        }
    }
}
