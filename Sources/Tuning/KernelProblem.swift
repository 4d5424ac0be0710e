import Benchmarks
import Kernels

/// A problem to tune, in the words a user types: kernel, shape, weight precision, epilogue.
/// Codable, so it crosses to the worker process as text.
public struct KernelProblem: Codable, Hashable, Sendable {
    public var kernel: String
    public var shape: String
    public var precision: Precision
    /// As `Epilogue(parsing:)` reads it: "none", "bias+relu" …
    public var epilogue: String

    public init(kernel: String, shape: String, precision: Precision = .fp32, epilogue: String = "none") {
        self.kernel = kernel
        self.shape = shape
        self.precision = precision
        self.epilogue = epilogue
    }

    public func make(limits: HardwareLimits) throws -> any TunableKernel {
        try KernelCatalog.kernel(named: kernel, shape: shape, precision: precision, epilogue: Epilogue(parsing: epilogue), limits: limits)
    }
}
