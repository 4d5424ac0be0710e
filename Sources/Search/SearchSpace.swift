import Kernels

/// A kernel's parameter space as a mixed-radix index space: each configuration is a point
/// (one coordinate per parameter, the index of its value), so spaces of millions of points are
/// sampled, indexed and walked without being listed. Constraints are checked per point.
public struct SearchSpace: Sendable {
    public let space: ParameterSpace
    /// Values per parameter, in `space.parameters` order.
    public let radices: [Int]

    public init(_ space: ParameterSpace) {
        self.space = space
        radices = space.parameters.map { max(1, $0.values.count) }
    }

    /// Points in the raw product, before constraints.
    public var size: Int { radices.reduce(1, *) }

    public func config(coordinates: [Int]) -> KernelConfig {
        var values: [String: ParameterValue] = [:]
        for (parameter, coordinate) in zip(space.parameters, coordinates) where !parameter.values.isEmpty {
            values[parameter.name] = parameter.values[coordinate]
        }
        return space.completing(KernelConfig(kernel: space.kernel, values: values))
    }

    /// Nil when the configuration has a value outside a parameter's set.
    public func coordinates(of config: KernelConfig) -> [Int]? {
        var result: [Int] = []
        for parameter in space.parameters {
            guard let value = config[parameter.name], let index = parameter.values.firstIndex(of: value) else { return nil }
            result.append(index)
        }
        return result
    }

    /// Point `index` of the raw product (the first parameter varies slowest).
    public func config(at index: Int) -> KernelConfig {
        var remainder = index
        var coordinates = [Int](repeating: 0, count: radices.count)
        for position in radices.indices.reversed() {
            coordinates[position] = remainder % radices[position]
            remainder /= radices[position]
        }
        return config(coordinates: coordinates)
    }

    public func index(of config: KernelConfig) -> Int? {
        guard let coordinates = coordinates(of: config) else { return nil }
        return zip(coordinates, radices).reduce(0) { $0 * $1.1 + $1.0 }
    }

    public func isValid(_ config: KernelConfig) -> Bool { space.isValid(config) }

    /// A uniformly drawn valid configuration, by rejection: nil if `attempts` draws found none.
    public func randomValid<G: RandomNumberGenerator>(using generator: inout G, attempts: Int = 10_000) -> KernelConfig? {
        for _ in 0..<attempts {
            let candidate = config(coordinates: radices.map { Int.random(in: 0..<$0, using: &generator) })
            if isValid(candidate) { return candidate }
        }
        return nil
    }

    /// Valid configurations one step away: one parameter moved to an adjacent value.
    public func neighbors(of config: KernelConfig) -> [KernelConfig] {
        guard let origin = coordinates(of: config) else { return [] }
        var result: [KernelConfig] = []
        for position in origin.indices {
            for step in [-1, 1] {
                let moved = origin[position] + step
                guard moved >= 0, moved < radices[position] else { continue }
                var coordinates = origin
                coordinates[position] = moved
                let candidate = self.config(coordinates: coordinates)
                if isValid(candidate) { result.append(candidate) }
            }
        }
        return result
    }

    /// Every valid configuration, in index order. Only for spaces small enough to list.
    public func allValid() -> [KernelConfig] {
        (0..<size).lazy.map(config(at:)).filter(isValid)
    }
}
