import TunebenchCore

/// A GPU operation that failed, with the library call or file at fault. Compile and launch
/// failures of a tuning trial are recorded with this message, as failed CPU trials are.
public struct GPUError: TunebenchError, Equatable {
    public enum Code: String, Sendable {
        /// libcuda, libnvrtc or libcublas could not be opened.
        case libraryMissing
        /// The library opened but lacks a function tunebench calls (too old a version).
        case symbolMissing
        /// A CUDA driver call returned an error.
        case driverCall
        /// No CUDA device, or not the one asked for.
        case noDevice
        /// NVRTC refused the source with these defines.
        case compileFailed
        /// The kernel needs more threads, registers or shared memory than the device gives a block.
        case launchResources
        /// The kernel ran but its output is not the reference's.
        case wrongResult
        /// The kernel does not compute this problem (precision, shape or GPU generation).
        case unsupported
        /// A kernel faulted (illegal address, illegal instruction, trap …): CUDA keeps the error
        /// in the context, which no later call in this process can use.
        case contextLost
        /// cuBLAS returned an error.
        case cublasCall
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
