/// A file or database location that could not be used, and why: "results/tuning.sqlite: is not a
/// tuning database (…)". The workload importers, the tuning database and the runtime library
/// all fail this way.
public struct FileError: TunebenchError, Equatable {
    /// The file, directory or database location (a postgres:// location never carries a password).
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
