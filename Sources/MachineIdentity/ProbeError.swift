import TunebenchCore

/// A failure a user can act on: what went wrong, with the file or resource it concerns.
public struct ProbeError: TunebenchError, Equatable {
    public enum Code: String, Sendable {
        case topologyFileMissing
        case topologyFileInvalid
        case topologyLoadFailed
        case profileUnreadable
        case profileInvalid
        case profileSchemaUnsupported
        case profileWriteFailed
        case profileNotFound
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
