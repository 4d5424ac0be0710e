import ArgumentParser
import Foundation
import HardwareProbe
import Reports
import TunebenchCore
import TunebenchRuntime
import TuningDatabase
import TuningDatabasePostgres

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two hardware profiles and, with --db, their tuned results and cost.",
        discussion: """
        Without --db: the hardware side by side, differing rows marked *. With --db: per layer (the \
        layers of --model, else every layer tuned on A or B) what each profile runs and how fast, \
        which serves the model faster, and with --cost A=3.06/h,B=1.20/h the cost per million \
        inferences. Each side is compared on its CPU unless --device puts it on its profile's CUDA \
        GPU (its `tune --gpu` records, else the runtime's GPU fallback): --device A=gpu compares A's \
        GPU with B's CPU, --device gpu both GPUs; A and B may be one profile (its GPU against its \
        CPU). Layers are compared in the precision each profile's policy chose, else fp32; \
        --precision fp16 (or A=fp16,B=int8) names one, as GPU records in fp16 or bf16 need. \
        --markdown prints Markdown tables; --html FILE writes a page with each side's roofline \
        (the tuned layers placed on it) and a per-layer bar chart.
        """
    )

    @Argument(help: "Profile A: a JSON file, an id saved in the profiles directory, or (with --db) an id in the database.")
    var a: String

    @Argument(help: "Profile B, likewise.")
    var b: String

    @Option(help: "A tuning database: compare the profiles' tuned results too.")
    var db: String?

    @Option(help: "Only the layers of this ONNX model (with --dim), counted with their multiplicity.")
    var model: String?

    @Option(name: .customLong("dim"), help: ArgumentHelp("A symbolic dimension of --model and its size, e.g. batch=1.", valueName: "name=size"),
            transform: DimensionBinding.parse)
    var dims: [DimensionBinding] = []

    @Option(help: "Hourly prices: A=3.06/h,B=1.20/h (A and B, or the profile ids).")
    var cost: String?

    @Option(help: "The device each side is compared on: cpu or gpu for both, or A=gpu,B=cpu (A and B, or the profile ids); default cpu.")
    var device: String?

    @Option(help: "The precision layers are compared in: one for both sides, or A=fp16,B=int8; default the profile's chosen precision, else fp32.")
    var precision: String?

    @Flag(help: "Print Markdown tables.")
    var markdown = false

    @Option(help: "Also write an HTML report with SVG charts to this file.")
    var html: String?

    @OptionGroup var profiles: ProfileOptions

    func run() throws {
        try runReportingErrors {
            let database = try db.map { try TuningStoreLocation.openForReading($0) }
            let profileA = try profiles.store.load(a, orFrom: database), profileB = try profiles.store.load(b, orFrom: database)
            guard database != nil || [html, cost, model, device, precision].allSatisfy({ $0 == nil }) else {
                throw ValidationError("--html, --cost, --model, --device and --precision compare tuned results: give --db")
            }
            // Options are checked before anything is printed: a mistake is the only output.
            let prices = try cost.map { try HourlyPrices(parsing: $0, profileA: profileA.id, profileB: profileB.id) } ?? HourlyPrices()
            let targets = try ComparisonTarget.parse(devices: device, precisions: precision, a: profileA, b: profileB)
            let hardware = ProfileComparison(profileA, profileB)
            print(hardware.render())
            guard let database else { return }
            let comparison = try TunedComparison.from(database, a: profileA, b: profileB,
                                                      model: try model.map { ($0, try DimensionBinding.single(dims)) }, prices: prices, targets: targets)
            print("")
            print(comparison.render(markdown: markdown))
            if let html {
                try Data(ComparisonHTML.render(comparison, hardware: hardware).utf8).write(to: URL(fileURLWithPath: html))
                printToStderr("wrote \(html)")
            }
        }
    }
}
