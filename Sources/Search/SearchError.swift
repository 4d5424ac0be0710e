import TunebenchCore

/// A search that cannot start: an unknown strategy, a space with no valid configuration, a
/// recorded space that cannot be replayed.
public struct SearchError: TunebenchError {
    public let message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}
