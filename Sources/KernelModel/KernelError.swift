import TunebenchCore

/// A kernel problem or configuration that cannot be built or run: an invalid parameter, a
/// shape a kernel does not support.
public struct KernelError: TunebenchError, Equatable {
    public let message: String
    public var description: String { message }

    public static func invalidConfig(_ message: String) -> KernelError { KernelError(message: "invalid configuration: \(message)") }
    public static func unsupported(_ message: String) -> KernelError { KernelError(message: message) }
}
