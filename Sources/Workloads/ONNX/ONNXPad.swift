import ONNXProto

/// A Pad node's parameters: pads per axis at the beginning and the end (attribute before opset
/// 11, input from 11 on, on the given `axes` from 18), the mode and the constant value.
/// Negative pads (cropping) are refused.
public struct ONNXPad: Sendable {
    public var begin: [Int]
    public var end: [Int]
    public var mode: String
    public var value: Float
    public var outputShape: [Int]

    public init(node: Onnx_NodeProto, inputs: [ONNXValue?], opset: Int) throws {
        guard let x = inputs.first ?? nil else { throw ONNXShapeError("input 0 is missing") }
        let rank = x.shape.count
        mode = node.string("mode") ?? "constant"
        guard ["constant", "reflect", "edge", "wrap"].contains(mode) else { throw ONNXShapeError("mode \"\(mode)\" is not constant, reflect, edge or wrap") }
        var pads: [Int]
        if opset < 11 {
            pads = node.ints("pads") ?? node.ints("paddings") ?? []
            value = node.float("value") ?? 0
        } else {
            guard inputs.count > 1, let given = inputs[1], let ints = given.ints else { throw ONNXShapeError("pads are not a constant") }
            pads = ints.map { Int(clamping: $0) }
            value = inputs.count > 2 ? inputs[2]?.floats?.first ?? inputs[2]?.ints.flatMap { $0.first.map(Float.init) } ?? 0 : 0
            if inputs.count > 3, let axesValue = inputs[3] {
                guard let axes = axesValue.ints, pads.count == 2 * axes.count else { throw ONNXShapeError("axes are not a constant matching the pads") }
                var full = [Int](repeating: 0, count: 2 * rank)
                for (i, axis) in axes.enumerated() {
                    let normalized = try ONNXOperatorShapes.normalize(Int(axis), rank: rank)
                    full[normalized] = pads[i]
                    full[normalized + rank] = pads[i + axes.count]
                }
                pads = full
            }
        }
        guard pads.count == 2 * rank else { throw ONNXShapeError("\(pads.count) pads for a rank-\(rank) input (2 per axis needed)") }
        guard pads.allSatisfy({ $0 >= 0 }) else { throw ONNXShapeError("negative pads \(pads) (cropping) are not supported") }
        begin = Array(pads.prefix(rank))
        end = Array(pads.suffix(rank))
        outputShape = (0..<rank).map { x.shape[$0] + pads[$0] + pads[$0 + rank] }
        if mode == "reflect", let axis = (0..<rank).first(where: { (begin[$0] > 0 || end[$0] > 0) && x.shape[$0] < 2 }) {
            throw ONNXShapeError("reflect padding of axis \(axis), of size \(x.shape[axis])")
        }
    }
}
