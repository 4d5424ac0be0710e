import Foundation
import HardwareProbe

/// Two profiles side by side: identity, ISA, counts, caches, GPUs, counters and roofline, with
/// every row that differs marked `*`. Tuned configurations join this in a later issue.
public struct ProfileComparison: Sendable {
    public struct Row: Sendable, Equatable {
        public var section: String
        public var field: String
        public var a: String
        public var b: String
        public var differs: Bool { a != b }
    }

    public let a: HardwareProfile
    public let b: HardwareProfile
    public private(set) var rows: [Row] = []

    public init(_ a: HardwareProfile, _ b: HardwareProfile) {
        self.a = a
        self.b = b
        build()
    }

    public var differences: [Row] { rows.filter(\.differs) }

    private mutating func add(_ section: String, _ field: String, _ value: (HardwareProfile) -> String) {
        rows.append(Row(section: section, field: field, a: value(a), b: value(b)))
    }

    private mutating func build() {
        add("identity", "id") { $0.id }
        add("identity", "name") { $0.name }
        add("identity", "vendor") { $0.cpu.vendor ?? "?" }
        add("identity", "model") { $0.cpu.modelName ?? "?" }
        add("identity", "family/model/stepping") { p in
            [p.cpu.family, p.cpu.model, p.cpu.stepping].map { $0.map(String.init) ?? "?" }.joined(separator: "/")
        }
        add("identity", "architecture") { $0.system.architecture }
        add("identity", "OS") { $0.system.osName ?? "?" }
        for feature in Set(a.cpu.isa + b.cpu.isa).sorted() {
            add("ISA", feature) { $0.cpu.isaSource == "unknown" ? "?" : ($0.cpu.has(feature) ? "yes" : "no") }
        }
        add("counts", "packages") { "\($0.topology.packages)" }
        add("counts", "NUMA nodes") { "\($0.topology.numaNodes.count)" }
        add("counts", "cores") { "\($0.topology.cores)" }
        add("counts", "PUs") { "\($0.topology.pus)" }
        add("counts", "threads per core") { "\($0.topology.threadsPerCore)" }
        add("counts", "CPU kinds") { "\(max(1, $0.topology.cpuKinds.count))" }
        add("counts", "NUMA memory") { p in
            let total = p.topology.numaNodes.compactMap(\.memoryBytes).reduce(0, +)
            return total > 0 ? ByteCount.formatMemory(total) : "?"
        }
        var labels: [String] = []
        for cache in a.topology.caches + b.topology.caches where !labels.contains(cache.label) {
            labels.append(cache.label)
        }
        for label in labels {
            add("caches", label) { p in
                let caches = p.topology.caches.filter { $0.label == label }
                guard !caches.isEmpty else { return "none" }
                return caches.map { cache in
                    let ways = cache.associativity.map { $0 == -1 ? "full" : "\($0)-way" } ?? "?-way"
                    return "\(ByteCount.format(cache.sizeBytes)) \(ways) x\(cache.count) (\(cache.sharedByPUs) PU/inst)"
                }.joined(separator: " + ")
            }
        }
        add("GPUs", "count") { "\($0.gpus.count)" }
        let gpuRows = max(a.gpus.count, b.gpus.count)
        for index in 0..<gpuRows {
            add("GPUs", "GPU \(index)") { p in index < p.gpus.count ? (p.gpus[index].name ?? "unknown") : "-" }
        }
        add("counters", "backend") { $0.counters.backend.rawValue }
        add("counters", "hardware events") { "\($0.counters.hardwareEvents.count)" }
        let threadCounts = Set((a.roofline?.points ?? []).map(\.threads) + (b.roofline?.points ?? []).map(\.threads)).sorted()
        if threadCounts.isEmpty {
            add("roofline", "measured") { $0.roofline == nil ? "no" : "yes" }
        }
        for threads in threadCounts {
            func figure(_ value: @escaping (RooflinePoint) -> Double) -> (HardwareProfile) -> String {
                { p in
                    guard let point = p.roofline?.points.first(where: { $0.threads == threads }) else { return "-" }
                    return String(format: "%.1f", value(point))
                }
            }
            add("roofline", "\(threads)T FMA GFLOP/s", figure(\.peakGFLOPS))
            add("roofline", "\(threads)T triad GB/s", figure(\.triadGBps))
            add("roofline", "\(threads)T copy GB/s", figure(\.copyGBps))
        }
    }

    /// The comparison as aligned text; differing rows start with `*`, roofline rows carry B/A.
    public func render() -> String {
        var out = ["Comparing A = \(a.id) (\(a.name))", "      and B = \(b.id) (\(b.name))", ""]
        var table = TextTable(header: ["", "section", "field", "A", "B", "B/A"])
        for row in rows {
            var ratio = ""
            if row.section == "roofline", let x = Double(row.a), let y = Double(row.b), x > 0 {
                ratio = String(format: "%.2fx", y / x)
            }
            table.add([row.differs ? "*" : "", row.section, row.field, row.a, row.b, ratio])
        }
        out.append(table.render(indent: ""))
        out.append("")
        out.append("\(differences.count) of \(rows.count) rows differ (marked *).")
        // The B/A column is the rooflines': say why it is empty instead of leaving it blank.
        let missing = [("A", a), ("B", b)].filter { $0.1.roofline == nil }.map { "\($0.0) (\($0.1.id))" }
        if !missing.isEmpty {
            out.append("B/A compares measured rooflines; \(missing.joined(separator: " and ")) \(missing.count > 1 ? "have" : "has") none: run `tunebench probe --measure --save` on the machine.")
        }
        return out.joined(separator: "\n")
    }
}
