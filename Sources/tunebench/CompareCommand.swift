import ArgumentParser
import Foundation
import HardwareProbe
import Reports
import TunebenchRuntime
import TuningDatabase
import Workloads

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two hardware profiles and, with --db, their tuned results and cost.",
        discussion: """
        Without --db: the hardware side by side, differing rows marked *. With --db: per layer (the \
        layers of --model, else every layer tuned on A or B) what each profile runs and how fast, \
        which serves the model faster, and with --cost A=3.06/h,B=1.20/h the cost per million \
        inferences. --markdown prints Markdown tables; --html FILE writes a page with each \
        profile's roofline (the tuned layers placed on it) and a per-layer bar chart.
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

    @Option(name: .customLong("dim"), help: ArgumentHelp("A symbolic dimension of --model and its size, e.g. batch=1.", valueName: "name=size"))
    var dims: [String] = []

    @Option(help: "Hourly prices: A=3.06/h,B=1.20/h (A and B, or the profile ids).")
    var cost: String?

    @Flag(help: "Print Markdown tables.")
    var markdown = false

    @Option(help: "Also write an HTML report with SVG charts to this file.")
    var html: String?

    @OptionGroup var profiles: ProfileOptions

    func run() throws {
        try runReportingErrors {
            let database = try db.map { try StoreLocation.open($0, create: false) }
            let profileA = try load(a, database: database), profileB = try load(b, database: database)
            let hardware = ProfileComparison(profileA, profileB)
            print(hardware.render())
            guard let database else {
                guard html == nil, cost == nil, model == nil else { throw ValidationError("--html, --cost and --model compare tuned results: give --db") }
                return
            }
            let artifact = try DeploymentArtifact.from(database, profileIDs: [profileA.id, profileB.id])
            let runtime = try TuningRuntime(artifact: artifact, machine: profileA, warn: { _ in })
            let layers: [(key: String, multiplicity: Int)]
            let scope: String
            if let model {
                let dimensions = try parseDimensionSizes(dims)
                do {
                    let plan = try ONNXImport.plan(path: model, dimensions: dimensions)
                    layers = plan.workload.uniqueLayers.map { ($0.layer.description, $0.multiplicity) }
                } catch let error as WorkloadError {
                    printToStderr("tunebench: error: \(error)")
                    throw ExitCode(1)
                }
                scope = "the layers of \(model)\(dims.isEmpty ? "" : " (\(dims.joined(separator: ", ")))")"
            } else {
                layers = Array(Set(artifact.entries.map(\.layer))).sorted().map { ($0, 1) }
                scope = "every layer tuned on A or B, each counted once"
            }
            let prices = try parsePrices(profileA: profileA.id, profileB: profileB.id)
            let comparison = try TunedComparison(a: profileA, b: profileB, runtime: runtime, layers: layers, scope: scope,
                                                 pricePerHourA: prices.a, pricePerHourB: prices.b)
            print("")
            print(comparison.render(markdown: markdown))
            if let html {
                try Data(ComparisonHTML.render(comparison, hardware: hardware).utf8).write(to: URL(fileURLWithPath: html))
                printToStderr("wrote \(html)")
            }
        }
    }

    /// A profile from the profiles directory or a file, else from the database's profiles.
    private func load(_ reference: String, database: (any TuningStore)?) throws -> HardwareProfile {
        do { return try profiles.store.load(reference) } catch let error as ProbeError {
            guard let database, let record = try database.profiles().first(where: { $0.id == reference }) else { throw error }
            return try ProfileStore.decode(Data(record.json.utf8), file: "\(database.address) (profile \(reference))")
        }
    }

    /// "A=3.06/h,B=1.20/h" (or with the profile ids) → the two prices per hour.
    private func parsePrices(profileA: String, profileB: String) throws -> (a: Double?, b: Double?) {
        guard let cost else { return (nil, nil) }
        var a: Double?, b: Double?
        for item in cost.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let price = parts.count == 2 ? Double(parts[1].replacingOccurrences(of: "/h", with: "").replacingOccurrences(of: "$", with: "")) : nil
            guard let price, price >= 0 else { throw ValidationError("--cost takes A=PRICE/h,B=PRICE/h, e.g. A=3.06/h,B=1.20/h; got \"\(item)\"") }
            switch parts[0] {
            case "A", profileA: a = price
            case "B", profileB: b = price
            default: throw ValidationError("--cost: \"\(parts[0])\" is neither A, B, \(profileA) nor \(profileB)")
            }
        }
        return (a, b)
    }
}
