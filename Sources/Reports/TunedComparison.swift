import Foundation
import HardwareProbe
import KernelModel
import TunebenchRuntime

/// Two profiles' tuned results side by side (docs/DESIGN.md, "Data flow"): per layer, what each
/// runs and how fast, which serves it faster, the model total and the cost per million
/// inferences at given hourly prices. Each side is measured on its profile's CPU or GPU
/// (`ComparisonTarget`). Times are the tuned medians of exact records; a layer answered by a
/// fallback on a side has no measured time there.
public struct TunedComparison: Sendable {
    public struct Side: Sendable {
        public var answer: RuntimeAnswer
        /// The precisions this side's profile and device have a record of the layer in: when the
        /// compared one is not among them, the report says which `--precision` would measure it.
        public var tunedPrecisions: [Precision] = []
        /// Seconds per execution when this profile has an exact record (else not measured).
        public var seconds: Double? { answer.step == .exact ? answer.expectedSeconds : nil }
    }

    public struct Row: Sendable {
        public var layer: Layer
        public var multiplicity: Int
        public var a: Side
        public var b: Side

        /// Time on B over time on A (above 1: A is faster).
        public var ratio: Double? {
            guard let x = a.seconds, let y = b.seconds, x > 0 else { return nil }
            return y / x
        }

        public var faster: String? { ratio.map { $0 > 1 ? "A" : ($0 < 1 ? "B" : "=") } }

        /// GFLOP/s on a side (exact records only).
        public func gflops(_ side: Side) -> Double? {
            guard let seconds = side.seconds, seconds > 0 else { return nil }
            return layer.flops / seconds / 1e9
        }
    }

    public var a: HardwareProfile
    public var b: HardwareProfile
    /// The device (and precision) each side is measured on.
    public var targetA: ComparisonTarget
    public var targetB: ComparisonTarget
    public var rows: [Row]
    /// Hourly prices, when given.
    public var pricePerHourA: Double?
    public var pricePerHourB: Double?
    /// What the rows are: "the layers of model.onnx (batch=1)" or "every layer tuned on A or B".
    public var scope: String

    /// - Parameter layers: the layers and how often one inference runs each.
    public init(a: HardwareProfile, b: HardwareProfile, runtime: TuningRuntime, layers: [(layer: Layer, multiplicity: Int)],
                scope: String, pricePerHourA: Double? = nil, pricePerHourB: Double? = nil,
                targetA: ComparisonTarget = .cpu, targetB: ComparisonTarget = .cpu) throws {
        self.a = a
        self.b = b
        self.targetA = targetA
        self.targetB = targetB
        self.scope = scope
        self.pricePerHourA = pricePerHourA
        self.pricePerHourB = pricePerHourB
        let usable = runtime.artifact.kernelLibraryVersion == runtime.kernelLibraryVersion ? runtime.artifact.entries : []
        func side(_ layer: Layer, _ profile: HardwareProfile, _ target: ComparisonTarget) -> Side {
            let tuned = Set(usable.filter { $0.layer == layer.description && target.holds($0, of: profile) }.map(\.precision))
            return Side(answer: runtime.config(for: layer, precision: target.precision, on: profile.id, device: target.device),
                        tunedPrecisions: Precision.allCases.filter(tuned.contains))
        }
        rows = layers.map { layer in
            Row(layer: layer.layer, multiplicity: layer.multiplicity, a: side(layer.layer, a, targetA), b: side(layer.layer, b, targetB))
        }
    }

    /// Seconds per inference over the rows (each times its multiplicity); nil when a row has
    /// no measured time on that profile.
    public var secondsA: Double? { total(\.a) }
    public var secondsB: Double? { total(\.b) }

    private func total(_ side: KeyPath<Row, Side>) -> Double? {
        var sum = 0.0
        for row in rows {
            guard let seconds = row[keyPath: side].seconds else { return nil }
            sum += seconds * Double(row.multiplicity)
        }
        return rows.isEmpty ? nil : sum
    }

    /// Price of one million inferences: seconds per inference x price per second x 10^6.
    public static func costPerMillion(seconds: Double?, pricePerHour: Double?) -> Double? {
        guard let seconds, let pricePerHour else { return nil }
        return seconds * pricePerHour / 3600 * 1e6
    }

    public var costPerMillionA: Double? { Self.costPerMillion(seconds: secondsA, pricePerHour: pricePerHourA) }
    public var costPerMillionB: Double? { Self.costPerMillion(seconds: secondsB, pricePerHour: pricePerHourB) }
}
