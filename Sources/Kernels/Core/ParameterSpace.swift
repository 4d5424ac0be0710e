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

    /// A parameter computed from the searched ones (e.g. a block size as a multiple of the
    /// tile): never searched, filled in by `completing(_:)`.
    public struct Derived: Sendable {
        public var name: String
        public var value: @Sendable (KernelConfig) -> ParameterValue

        public init(_ name: String, _ value: @escaping @Sendable (KernelConfig) -> ParameterValue) {
            self.name = name
            self.value = value
        }
    }

    public var kernel: String
    public var parameters: [Parameter]
    public var constraints: [Constraint]
    public var derived: [Derived]

    public init(kernel: String, parameters: [Parameter], constraints: [Constraint] = [], derived: [Derived] = []) {
        self.kernel = kernel
        self.parameters = parameters
        self.constraints = constraints
        self.derived = derived
    }

    /// The configuration with its derived parameters computed (in order, so one may use another).
    public func completing(_ config: KernelConfig) -> KernelConfig {
        var complete = config
        for parameter in derived { complete.values[parameter.name] = parameter.value(complete) }
        return complete
    }

    /// Why a configuration is not in the space: unknown or missing parameters, values outside
    /// their sets, broken constraints. Empty when valid.
    public func violations(_ config: KernelConfig) -> [String] {
        var problems: [String] = []
        if config.kernel != kernel { problems.append("kernel \"\(config.kernel)\" is not \"\(kernel)\"") }
        let names = Set(parameters.map(\.name) + derived.map(\.name))
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
        let complete = completing(config)
        for parameter in derived {
            if let given = config.values[parameter.name], given != complete.values[parameter.name] {
                problems.append("\(parameter.name)=\(given) but it is derived: \(complete.values[parameter.name]?.description ?? "?") here")
            }
        }
        if problems.isEmpty {
            problems += constraints.filter { !$0.isSatisfied(complete) }.map { "violates \($0.description)" }
        }
        return problems
    }

    /// `violations(config).isEmpty`, without building the messages: searches ask this for
    /// every point they consider (counting a GEMM space asks it 622080 times).
    public func isValid(_ config: KernelConfig) -> Bool {
        guard config.kernel == kernel, config.values.count <= parameters.count + derived.count else { return false }
        for parameter in parameters {
            guard let value = config.values[parameter.name], parameter.values.contains(value) else { return false }
        }
        let complete = derived.isEmpty ? config : completing(config)
        for parameter in derived {
            if let given = config.values[parameter.name], given != complete.values[parameter.name] { return false }
        }
        // Every given name is a parameter or a derived one (the count check and the loops above
        // leave only derived names unchecked).
        if config.values.count > parameters.count,
           config.values.keys.contains(where: { name in !parameters.contains { $0.name == name } && !derived.contains { $0.name == name } }) {
            return false
        }
        return constraints.allSatisfy { $0.isSatisfied(complete) }
    }

    public func validate(_ config: KernelConfig) throws {
        let problems = violations(config)
        if !problems.isEmpty { throw KernelError.invalidConfig(problems.joined(separator: "; ")) }
    }

    /// How many points the raw product of the value sets has (before constraints).
    public var cardinality: Int { parameters.reduce(1) { $0 * max(1, $1.values.count) } }
}

extension ParameterSpace.Parameter {
    /// Integers from a range with a step: `.range("threads", 1...8)`.
    public static func range(_ name: String, _ range: ClosedRange<Int>, step: Int = 1, help: String = "") -> Self {
        Self(name, stride(from: range.lowerBound, through: range.upperBound, by: max(1, step)).map { .int($0) }, help: help)
    }

    /// The powers of two within a range: `.powersOfTwo("kc", 64...512)` is 64, 128, 256, 512.
    public static func powersOfTwo(_ name: String, _ range: ClosedRange<Int>, help: String = "") -> Self {
        Self(name, (0..<62).map { 1 << $0 }.filter { range.contains($0) }.map { .int($0) }, help: help)
    }
}
