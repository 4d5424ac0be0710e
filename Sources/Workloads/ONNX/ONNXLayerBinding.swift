import KernelModel

/// How one imported layer maps onto its ONNX graph, for running the model: the node it comes
/// from (its inputs are the node's), the nodes fused into its epilogue, the value it produces
/// after them, and where its weights and bias come from.
public struct ONNXLayerBinding: Sendable {
    /// The Gemm, MatMul or Conv node's index in the graph.
    public var node: Int
    /// The Add, Relu and Gelu nodes absorbed into the epilogue.
    public var fusedNodes: [Int]
    public var layer: Layer
    public var name: String
    /// The value the layer writes: the last fused node's output, or the node's.
    public var output: String
    /// The initializer of the fused bias (Gemm's C, Conv's bias, or an Add's constant).
    public var bias: String?
    /// Gemm transA (A is transposed before the kernel) and, for a Gemm whose B is an
    /// activation, transB (B is transposed per call).
    public var transposeA: Bool
    public var transposeB: Bool
    /// The K x N operand (constant weights), as the error checks use it.
    public var weights: LayerWeights?
    /// A convolution with pads that differ between sides (TensorFlow's SAME with an even
    /// input): [top, left, bottom, right] zeros added around the input before the kernel, whose
    /// layer then has no padding. nil otherwise.
    public var inputPadding: [Int]? = nil
    /// The output's shape when it is not the layer's own: [N, K, W] for a 1-D convolution run
    /// as a 2-D one of height 1 (its input is read as [N, C, 1, W]).
    public var outputShape: [Int]? = nil
}
