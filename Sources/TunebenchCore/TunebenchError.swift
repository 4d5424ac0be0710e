/// What every error tunebench throws conforms to: a one-line message a user can act on, naming
/// the file (or database, or option) at fault and the problem, and the exit status the CLI
/// ends with. The CLI reports any of them the same way: `tunebench: error: <description>`.
///
/// Exit statuses (docs/DESIGN.md, "Errors"): 1 bad input or a failed operation (the default),
/// 2 a measurement that could not be made, 3 `verify` found a slower configuration.
public protocol TunebenchError: Error, CustomStringConvertible, Sendable {
    var exitCode: Int32 { get }
}

extension TunebenchError {
    public var exitCode: Int32 { 1 }
}
