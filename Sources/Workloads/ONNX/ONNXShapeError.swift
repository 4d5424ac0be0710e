import TunebenchCore

/// An operator's inputs do not fit its shape rule.
public struct ONNXShapeError: TunebenchError {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
