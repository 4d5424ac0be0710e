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

    /// One line, always: names and strings quoted from a hostile file (an ONNX node called
    /// "conv\nConv*") have their control characters escaped.
    public var description: String { Self.oneLine("\(path): \(message)") }

    public static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        return String(text.unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control ? scalar.escaped(asASCII: true) : String(scalar)
        }.joined())
    }
}
