/// A kernel that tunebench can tune: a problem (shapes, epilogue, precision) with a parameter
/// space, a default configuration, a reference to validate against and its cost model.
/// Conform to plug your own kernel into `tunebench bench` and the search.
public protocol TunableKernel: Sendable {
    /// The kernel family, e.g. "gemm".
    var name: String { get }
    /// The tunable parameters for this problem and their constraints.
    var space: ParameterSpace { get }
    /// A sound configuration without tuning (the analytical choice).
    var defaultConfig: KernelConfig { get }
    /// Other sound configurations a search measures first, before the default: another path or
    /// arithmetic the analytical model cannot rank against the default (e.g. the dot-product
    /// kernels of int8 weights). Empty by default.
    var alternativeDefaults: [KernelConfig] { get }
    /// Floating-point operations of one run (a multiply-add counts 2).
    var flops: Double { get }
    /// The fewest bytes one run must move to or from memory with `config`: each operand read
    /// once in its storage precision, the output written once. With `flops` it places a run on
    /// the roofline.
    func minimumBytes(_ config: KernelConfig) -> Double
    /// Validates `config`, allocates inputs (deterministic random data), prepares weights
    /// (packing, quantization) and returns something to run and check.
    func instantiate(_ config: KernelConfig, team: ParallelTeam) throws -> any KernelInstance
}

extension TunableKernel {
    public var alternativeDefaults: [KernelConfig] { [] }
}

/// One prepared configuration of a kernel: `run()` is what gets timed.
public protocol KernelInstance: AnyObject {
    func run()
    /// The output of the last `run()` against the reference.
    func validate() -> Validation
}

public struct Validation: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Relative L2 error ‖out − ref‖ / ‖ref‖ over the checked elements.
    public var relativeError: Double
    public var tolerance: Double
    /// How many output elements were compared (big outputs are sampled).
    public var checkedElements: Int

    public init(relativeError: Double, tolerance: Double, checkedElements: Int) {
        self.relativeError = relativeError
        self.tolerance = tolerance
        self.checkedElements = checkedElements
    }

    public var passed: Bool { relativeError.isFinite && relativeError <= tolerance }

    public var description: String {
        "relative L2 error \(relativeError) (tolerance \(tolerance), \(checkedElements) elements) \(passed ? "ok" : "WRONG")"
    }
}

/// Accumulates ‖out − ref‖² and ‖ref‖² in double.
public struct ErrorAccumulator {
    var difference = 0.0
    var reference = 0.0
    var count = 0

    public init() {}

    public mutating func add(output: Float, reference expected: Double) {
        let delta = Double(output) - expected
        difference += delta * delta
        reference += expected * expected
        count += 1
    }

    public func validation(tolerance: Double) -> Validation {
        let error = reference > 0 ? (difference / reference).squareRoot() : (difference > 0 ? .infinity : 0)
        return Validation(relativeError: error.isNaN ? .infinity : error, tolerance: tolerance, checkedElements: count)
    }
}
