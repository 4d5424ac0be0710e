import Kernels

extension ParameterSpace {
    /// The space with some parameters held at one value ("threads=1,pack_b=2"), so a search
    /// (or an exhaustive recording) covers only the rest. Names and values must be the space's.
    public func fixing(_ text: String) throws -> ParameterSpace {
        let fixed = try KernelConfig(kernel: kernel).applying(overrides: text)
        var copy = self
        for (name, value) in fixed.values {
            guard let position = parameters.firstIndex(where: { $0.name == name }) else {
                throw SearchError(message: "cannot fix \(name): \(kernel) has no such parameter (it has \(parameters.map(\.name).joined(separator: ", ")))")
            }
            guard parameters[position].values.contains(value) else {
                throw SearchError(message: "cannot fix \(name)=\(value): \(name) takes \(parameters[position].values.map(\.description).joined(separator: ", "))")
            }
            copy.parameters[position].values = [value]
        }
        return copy
    }
}

extension SearchSpace {
    /// Valid configurations, counted by listing the raw product when it has at most `limit`
    /// points (nil above: too many to list).
    public func validCount(limit: Int = 2_000_000) -> Int? {
        guard size <= limit else { return nil }
        var count = 0
        for index in 0..<size where isValid(config(at: index)) { count += 1 }
        return count
    }
}

extension SearchSpace {
    /// Valid configurations: counted when the raw product has at most `exactLimit` points,
    /// else estimated from `samples` uniform draws (seeded, so the same every time). Counting a
    /// full GEMM space (622080 points) took 2.6 s here, once per tuned layer and precision.
    public func validSize(exactLimit: Int = 100_000, samples: Int = 4000) -> (count: Int, exact: Bool) {
        if let count = validCount(limit: exactLimit) { return (count, true) }
        var generator = SplitMix64(seed: 0x5EED)
        var valid = 0
        for _ in 0..<samples where isValid(config(coordinates: radices.map { Int.random(in: 0..<$0, using: &generator) })) { valid += 1 }
        return (Int((Double(size) * Double(valid) / Double(samples)).rounded()), false)
    }
}
