import ArgumentParser
import Foundation
import Reports
import TunebenchCore
import Workloads

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what an ONNX model imports as, without tuning: layers, multiplicities, FLOPs, folds, operators left to reference code.",
        discussion: "--json prints the same as JSON for tools (docs/workloads.md)."
    )

    @Option(help: "The ONNX model.")
    var model: String

    @Option(name: .customLong("dim"), help: ArgumentHelp("A symbolic dimension of --model and its sizes, e.g. batch=1,32 (repeat for each).", valueName: "name=sizes"),
            transform: DimensionBinding.parse)
    var dims: [DimensionBinding] = []

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try runReportingErrors {
            let inspection = try ONNXImport.inspect(path: model, dimensions: try DimensionBinding.sizes(dims))
            if json {
                print(String(decoding: try StableJSON.encode(inspection.summary), as: UTF8.self), terminator: "")
            } else {
                print(InspectionText.render(inspection))
            }
        }
    }
}
