import KernelModel

/// A model as the layers it executes: every instance with its name, what could not be
/// imported (listed, never dropped silently) and notes (e.g. "weights are random").
public struct Workload: Sendable {
    public struct Instance: Sendable, Equatable {
        /// Where it comes from, e.g. "layers.0-31.self_attn.q_proj (tokens=1)".
        public var name: String
        public var layer: Layer
        /// How many times one forward pass executes it.
        public var count: Int
        /// The model's weights for this instance (from ONNX initializers), for the precision
        /// error checks; nil when the source has none (config.json, layer lists).
        public var weights: LayerWeights?

        public init(name: String, layer: Layer, count: Int = 1, weights: LayerWeights? = nil) {
            self.name = name
            self.layer = layer
            self.count = count
            self.weights = weights
        }
    }

    /// A distinct layer to tune once, with the number of times a forward pass runs it.
    public struct UniqueLayer: Sendable, Equatable {
        public var layer: Layer
        public var multiplicity: Int
        public var names: [String]
        /// The weights of every instance that has some (identical initializers once).
        public var weights: [LayerWeights]
    }

    public var name: String
    public var source: String
    public var instances: [Instance]
    /// Operators or entries that were skipped, with the reason.
    public var unsupported: [String]
    public var notes: [String]

    public init(name: String, source: String, instances: [Instance], unsupported: [String] = [], notes: [String] = []) {
        self.name = name
        self.source = source
        self.instances = instances
        self.unsupported = unsupported
        self.notes = notes
    }

    /// Identical layers merged, in order of first appearance: each is tuned once and counted
    /// with its multiplicity in model totals.
    public var uniqueLayers: [UniqueLayer] {
        var order: [Layer] = []
        var merged: [Layer: UniqueLayer] = [:]
        for instance in instances {
            if merged[instance.layer] == nil {
                order.append(instance.layer)
                merged[instance.layer] = UniqueLayer(layer: instance.layer, multiplicity: 0, names: [], weights: [])
            }
            merged[instance.layer]!.multiplicity += instance.count
            merged[instance.layer]!.names.append(instance.name)
            if let weights = instance.weights, !merged[instance.layer]!.weights.contains(where: { $0.source == weights.source }) {
                merged[instance.layer]!.weights.append(weights)
            }
        }
        return order.map { merged[$0]! }
    }

    /// FLOPs of one forward pass.
    public var flops: Double { instances.reduce(0) { $0 + $1.layer.flops * Double($1.count) } }
}
