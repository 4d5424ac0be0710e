import TunebenchCore

/// A run stopped because its request's `stillOwned` said so.
public struct TuneInterrupted: TunebenchError {
    public let message: String
    public var description: String { message }
}
