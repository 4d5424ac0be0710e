import Kernels
import TunebenchCore

/// A measurement that could not be made. The CLI exits with status 2 for it: the input was
/// fine, the machine or the configuration was not.
public enum MeasurementError: TunebenchError {
    /// The configuration computed a wrong result; no timing was taken.
    case wrongResult(Validation)

    public var description: String {
        switch self {
        case .wrongResult(let validation): "wrong result: \(validation)"
        }
    }

    public var exitCode: Int32 { 2 }
}
