import ONNXProto

/// The element type (ONNX TensorProto data type) of every value whose type follows from the
/// graph's inputs, initializers and operators; values of unknown operators are absent. The
/// clean-up removes a Cast to the type a value already has by it, and the model engine keeps
/// integer values (masks, indices) out of its float arena by it.
public enum ONNXElementTypes {
    static let sameAsFirst: Set<String> = [
        "Identity", "Dropout", "Relu", "Gelu", "Sigmoid", "Tanh", "Erf", "Sqrt", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Add", "Sub", "Mul",
        "Div", "Pow", "MatMul", "Gemm", "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Softmax",
        "LayerNormalization", "BatchNormalization", "Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Gather", "Concat", "Expand",
        "Slice", "Split", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "Clip", "Max", "Min", "Sum", "Range", "Resize", "Upsample", "Pad",
        "LRN", "LeakyRelu", "HardSigmoid", "HardSwish", "Sin", "Cos", "Tan", "Atan", "Floor", "Ceil", "Round", "Sign", "Elu", "Selu", "Celu",
        "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Mod", "PRelu", "Mean", "LogSoftmax", "InstanceNormalization", "GroupNormalization",
        "RMSNormalization", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "GatherElements",
        "GatherND", "Tile", "Trilu", "CumSum", "DepthToSpace", "SpaceToDepth",
    ]
    static let boolean: Set<String> = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf"]

    public static func infer(nodes: [Onnx_NodeProto], graphInputs: [Onnx_ValueInfoProto], initializerTypes: [String: Int32]) -> [String: Int32] {
        var types = initializerTypes
        for input in graphInputs where input.type.tensorType.elemType != 0 { types[input.name] = input.type.tensorType.elemType }
        let int64 = Int32(Onnx_TensorProto.DataType.int64.rawValue), bool = Int32(Onnx_TensorProto.DataType.bool.rawValue)
        for node in nodes where node.domain.isEmpty || node.domain == "ai.onnx" {
            let type: Int32? = switch node.opType {
            case "Cast": node.int("to").map(Int32.init)
            case "Shape", "Size", "ArgMax", "ArgMin": int64
            case "CastLike": node.input(1).flatMap { types[$0] }
            case let op where boolean.contains(op): bool
            case "Where": node.input(1).flatMap { types[$0] }
            case "Constant": node.attribute("value")?.t.dataType ?? (node.attribute("value_int") != nil || node.attribute("value_ints") != nil ? int64 : 1)
            case "ConstantOfShape": node.attribute("value")?.t.dataType ?? 1
            case let op where sameAsFirst.contains(op): node.input(0).flatMap { types[$0] }
            default: nil
            }
            if let type { for output in node.output where !output.isEmpty { types[output] = type } }
        }
        return types
    }

    /// The types of `file`'s graph as it is.
    public static func infer(_ file: ONNXFile) -> [String: Int32] {
        infer(nodes: file.graph.node, graphInputs: file.graph.input,
              initializerTypes: Dictionary(file.graph.initializer.map { ($0.name, $0.dataType) }, uniquingKeysWith: { first, _ in first }))
    }

    /// Whether a type holds floating-point values (float, double, float16, bfloat16).
    public static func isFloat(_ type: Int32) -> Bool {
        [1, 10, 11, 16].contains(type)
    }
}
