/// An option's value that cannot be used, found by a library while interpreting it (a price
/// list, a dimension a model does not have). The CLI reports it as a usage error.
public struct OptionError: TunebenchError, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
    /// EX_USAGE, as the argument parser's own errors.
    public var exitCode: Int32 { 64 }
}
