/// Why a tuning database could not be used, naming the file, in words a user can act on.
public struct TuningDatabaseError: Error, CustomStringConvertible, Equatable, Sendable {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
