/// The parameters a kernel exposes for tuning, each with its allowed values, and the
/// constraints a configuration must satisfy beyond them (e.g. mc % mr == 0).
public struct ParameterSpace: Sendable {
    public struct Parameter: Sendable {
        public var name: String
        public var values: [ParameterValue]
        public var help: String

        public init(_ name: String, _ values: [ParameterValue], help: String = "") {
            self.name = name
            self.values = values
            self.help = help
        }
    }

    public struct Constraint: Sendable {
        public var description: String
        public var isSatisfied: @Sendable (KernelConfig) -> Bool

        public init(_ description: String, _ isSatisfied: @escaping @Sendable (KernelConfig) -> Bool) {
            self.description = description
            self.isSatisfied = isSatisfied
        }
    }

    public var kernel: String
    public var parameters: [Parameter]
    public var constraints: [Constraint]

    public init(kernel: String, parameters: [Parameter], constraints: [Constraint] = []) {
        self.kernel = kernel
        self.parameters = parameters
        self.constraints = constraints
    }

    /// Why a configuration is not in the space: unknown or missing parameters, values outside
    /// their sets, broken constraints. Empty when valid.
    public func violations(_ config: KernelConfig) -> [String] {
        var problems: [String] = []
        if config.kernel != kernel { problems.append("kernel \"\(config.kernel)\" is not \"\(kernel)\"") }
        let names = Set(parameters.map(\.name))
        for name in config.values.keys.sorted() where !names.contains(name) {
            problems.append("unknown parameter \"\(name)\" (known: \(parameters.map(\.name).joined(separator: ", ")))")
        }
        for parameter in parameters {
            guard let value = config.values[parameter.name] else {
                problems.append("missing parameter \"\(parameter.name)\"")
                continue
            }
            if !parameter.values.contains(value) {
                problems.append("\(parameter.name)=\(value) is not one of \(parameter.values.map(\.description).joined(separator: "|"))")
            }
        }
        if problems.isEmpty {
            problems += constraints.filter { !$0.isSatisfied(config) }.map { "violates \($0.description)" }
        }
        return problems
    }

    public func validate(_ config: KernelConfig) throws {
        let problems = violations(config)
        if !problems.isEmpty { throw KernelError.invalidConfig(problems.joined(separator: "; ")) }
    }

    /// How many points the raw product of the value sets has (before constraints).
    public var cardinality: Int { parameters.reduce(1) { $0 * max(1, $1.values.count) } }
}
