import KernelModel

/// What `tunebench inspect` shows of an ONNX model before any tuning: the layers that would be
/// tuned (with multiplicities and FLOPs), what the clean-up folded, which other operators run on
/// reference code and which cannot run, and what was not imported and why.
public struct ModelInspection: Sendable {
    public var workload: Workload
    /// The sizes each symbolic dimension was imported at.
    public var dimensions: [String: [Int]]
    public var opset: Int
    public var cleanup: [String]
    /// Operators outside the tuned kernels that the reference operators compute, and how often
    /// a forward pass (of the first binding) runs each.
    public var onReferenceCode: [String: Int]
    /// Operators outside the tuned kernels with no reference implementation: `run` refuses the graph.
    public var withoutImplementation: [String: Int]
    /// The workload's notes but the one counting the operators outside the kernels (the two
    /// lists above say more).
    public var notes: [String]

    init(workload: Workload, dimensions: [String: [Int]], opset: Int, cleanup: ONNXGraphCleanup.Report, notTuned: [String: Int],
         notTunedNote: String?) {
        self.workload = workload
        self.dimensions = dimensions
        self.opset = opset
        self.cleanup = cleanup.isEmpty ? [] : [cleanup.summary]
        onReferenceCode = notTuned.filter { ReferenceOperators.operators.contains($0.key) }
        withoutImplementation = notTuned.filter { !ReferenceOperators.operators.contains($0.key) }
        notes = workload.notes.filter { $0 != notTunedNote }
    }

    /// The inspection as the JSON `inspect --json` prints (docs/workloads.md).
    public var summary: Summary {
        Summary(model: workload.source, name: workload.name, opset: opset, dimensions: dimensions,
                layers: workload.uniqueLayers.map { unique in
                    Summary.Layer(key: unique.layer.description, kernel: unique.layer.kernel.rawValue, multiplicity: unique.multiplicity,
                                  flops: unique.layer.flops, names: unique.names)
                },
                flopsPerPass: workload.flops, cleanup: cleanup, onReferenceCode: onReferenceCode,
                withoutImplementation: withoutImplementation, unsupported: workload.unsupported, notes: notes)
    }

    public struct Summary: Codable, Sendable, Equatable {
        public struct Layer: Codable, Sendable, Equatable {
            public var key: String
            public var kernel: String
            public var multiplicity: Int
            /// FLOPs of one execution.
            public var flops: Double
            public var names: [String]
        }

        public var model: String
        public var name: String
        public var opset: Int
        public var dimensions: [String: [Int]]
        public var layers: [Layer]
        /// FLOPs of one forward pass over the layers, every binding of the dimensions counted.
        public var flopsPerPass: Double
        public var cleanup: [String]
        public var onReferenceCode: [String: Int]
        public var withoutImplementation: [String: Int]
        public var unsupported: [String]
        public var notes: [String]
    }
}
