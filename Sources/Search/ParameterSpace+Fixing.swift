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
