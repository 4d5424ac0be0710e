/// Strategies by the names users type (`--strategy`).
public enum StrategyCatalog {
    public static let names = ["auto", "exhaustive", "random", "annealing", "genetic", "bandit", "model"]

    /// - Parameters:
    ///   - budget: the trial budget (nil: a time budget only).
    ///   - validSize: valid configurations in the space, when known: `auto` measures a space
    ///     that fits in the trial budget exhaustively (without one: up to 256 configurations).
    public static func make(_ name: String, seed: UInt64, budget: Int? = nil, validSize: Int? = nil) throws -> any SearchStrategy {
        switch name {
        case "exhaustive": return ExhaustiveSearch()
        case "random": return RandomSearch(seed: seed)
        case "annealing": return SimulatedAnnealing(seed: seed)
        case "genetic": return GeneticSearch(seed: seed)
        case "bandit": return BanditEnsemble.standard(seed: seed)
        case "model": return ModelGuidedSearch(seed: seed)
        case "auto":
            if let validSize, validSize <= (budget ?? 256) { return ExhaustiveSearch() }
            return BanditEnsemble(arms: [ModelGuidedSearch(seed: seed), SimulatedAnnealing(seed: seed &+ 1), GeneticSearch(seed: seed &+ 2)])
        default:
            throw SearchError(message: "unknown strategy \"\(name)\" (known: \(names.joined(separator: ", ")))")
        }
    }
}

public struct SearchError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}
