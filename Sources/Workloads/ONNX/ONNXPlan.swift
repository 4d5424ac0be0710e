/// An ONNX model at one binding of its symbolic dimensions, ready to run.
public struct ONNXPlan: Sendable {
    public let file: ONNXFile
    public let workload: Workload
    /// Parallel to `workload.instances`.
    public let bindings: [ONNXLayerBinding]
    /// The graph inputs (initializers excluded), their shapes, and whether they hold integers
    /// (masks, token ids) rather than floats, in order.
    public let inputs: [(name: String, shape: [Int], isInteger: Bool)]
    /// The symbolic dimensions' sizes this plan is for, in the model's order.
    public var dimensions: [(name: String, size: Int)] = []
}
