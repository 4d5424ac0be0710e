import Foundation
import ModelEngine
import TunebenchCore
import Workloads

extension ModelRun.Report {
    /// Writes the tuned pass's outputs (`run --output`): a .npz archive of every output by its
    /// graph name, or a .npy file when the model has exactly one output.
    public func writeOutputs(to path: String) throws {
        let data: Data
        if path.hasSuffix(".npz") {
            data = try NPZFile.encode(outputs)
        } else if path.hasSuffix(".npy") {
            guard outputs.count == 1, let only = outputs.first else {
                throw OptionError("--output \(path): the model has \(outputs.count) outputs; write them as .npz")
            }
            data = NPYFile.encode(only.tensor)
        } else {
            throw OptionError("--output takes a .npz or .npy file name; got \"\(path)\"")
        }
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw FileError(path: path, message: "cannot be written (\(error.localizedDescription))")
        }
    }
}
