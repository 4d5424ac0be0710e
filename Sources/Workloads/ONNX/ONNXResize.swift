import ONNXProto

/// A Resize (opset 10 on) or Upsample (opsets 7–9) node's parameters: the output shape from
/// `sizes` or from `scales` (floor of input × scale), and how an output coordinate maps back
/// onto the input (ONNX's coordinate_transformation_mode and nearest_mode).
public struct ONNXResize: Sendable {
    public enum Mode: String, Sendable { case nearest, linear }

    public var outputShape: [Int]
    public var inputShape: [Int]
    /// Per axis: output / input as the operator defines it (the given scale, or the size ratio).
    public var scales: [Double]
    public var mode: Mode
    public var coordinates: String
    public var nearest: String

    public init(node: Onnx_NodeProto, inputs: [ONNXValue?], opset: Int) throws {
        guard let x = inputs.first ?? nil else { throw ONNXShapeError("input 0 is missing") }
        inputShape = x.shape
        let isUpsample = node.opType == "Upsample"
        let modeText = node.string("mode") ?? "nearest"
        guard let mode = Mode(rawValue: modeText == "bilinear" ? "linear" : modeText) else {
            throw ONNXShapeError("mode \"\(modeText)\" is not supported (nearest and linear are)")
        }
        self.mode = mode
        // Upsample and Resize-10 use the asymmetric mapping; Resize-11 on defaults to half_pixel.
        coordinates = isUpsample || opset < 11 ? "asymmetric" : node.string("coordinate_transformation_mode") ?? "half_pixel"
        guard ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"].contains(coordinates) else {
            throw ONNXShapeError("coordinate_transformation_mode \"\(coordinates)\" is not supported")
        }
        nearest = isUpsample || opset < 11 ? "floor" : node.string("nearest_mode") ?? "round_prefer_floor"
        if node.ints("axes") != nil { throw ONNXShapeError("the axes attribute is not supported") }
        var givenScales: [Float]?
        var givenSizes: [Int]?
        if isUpsample && opset < 9 {
            givenScales = node.floats("scales")
        } else {
            let scalesIndex = isUpsample || opset < 11 ? 1 : 2
            if scalesIndex < inputs.count, let scales = inputs[scalesIndex], scales.count > 0 {
                guard let floats = scales.floats else { throw ONNXShapeError("scales are not a constant") }
                givenScales = floats
            }
            if !isUpsample, opset >= 11, inputs.count > 3, let sizes = inputs[3], sizes.count > 0 {
                guard let ints = sizes.ints else { throw ONNXShapeError("sizes are not a constant") }
                givenSizes = ints.map { Int(clamping: $0) }
            }
        }
        if let givenSizes {
            guard givenSizes.count == x.shape.count, givenSizes.allSatisfy({ $0 > 0 }) else { throw ONNXShapeError("sizes \(givenSizes) do not fit input \(x.shape)") }
            outputShape = givenSizes
            scales = zip(givenSizes, x.shape).map { Double($0) / Double(max($1, 1)) }
        } else if let givenScales {
            guard givenScales.count == x.shape.count, givenScales.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw ONNXShapeError("scales \(givenScales) do not fit input \(x.shape)")
            }
            scales = givenScales.map(Double.init)
            outputShape = try zip(x.shape, scales).map { size, scale in
                let value = (Double(size) * scale).rounded(.down)
                guard value < Double(ONNXShapeInference.largestValue) else { throw ONNXShapeError("scale \(scale) makes the output larger than memory") }
                return Int(value)
            }
        } else {
            throw ONNXShapeError("neither scales nor sizes are given")
        }
    }

    /// The input coordinate an output coordinate maps to, on `axis`.
    public func source(_ coordinate: Int, axis: Int) -> Double {
        let (x, scale) = (Double(coordinate), scales[axis])
        let (input, output) = (Double(inputShape[axis]), Double(outputShape[axis]))
        switch coordinates {
        case "half_pixel": return (x + 0.5) / scale - 0.5
        case "pytorch_half_pixel": return output > 1 ? (x + 0.5) / scale - 0.5 : 0
        case "align_corners": return output == 1 ? 0 : x * (input - 1) / (output - 1)
        case "tf_half_pixel_for_nn": return (x + 0.5) / scale
        default: return x / scale
        }
    }

    /// The input index nearest mode picks for a mapped coordinate, clamped into the input.
    public func nearestIndex(_ position: Double, axis: Int) -> Int {
        let index: Double = switch nearest {
        case "floor": position.rounded(.down)
        case "ceil": position.rounded(.up)
        case "round_prefer_ceil": position.rounded(.toNearestOrAwayFromZero) // ties up for positions ≥ 0
        default: position == position.rounded(.down) + 0.5 ? position.rounded(.down) : position.rounded()
        }
        return min(max(Int(index), 0), inputShape[axis] - 1)
    }
}

/// A ConvTranspose node's window: output size stride·(in − 1) + output_padding + extent − pads,
/// or the given output_shape with the pads it implies.
public struct ONNXTransposedWindow: Sendable {
    public var kernel: [Int]
    public var strides: [Int]
    public var padsBegin: [Int]
    public var dilations: [Int]
    public var group: Int
    public var outputShape: [Int]

    public init(node: Onnx_NodeProto, input: [Int], weight: [Int]) throws {
        guard input.count >= 3, weight.count == input.count else { throw ONNXShapeError("needs an N x C x spatial input and a matching weight, got \(input) and \(weight)") }
        let rank = input.count - 2
        kernel = node.ints("kernel_shape") ?? Array(weight.dropFirst(2))
        strides = node.ints("strides") ?? Array(repeating: 1, count: rank)
        dilations = node.ints("dilations") ?? Array(repeating: 1, count: rank)
        group = node.int("group") ?? 1
        let outputPadding = node.ints("output_padding") ?? Array(repeating: 0, count: rank)
        var pads = node.ints("pads") ?? Array(repeating: 0, count: 2 * rank)
        guard kernel.count == rank, strides.count == rank, dilations.count == rank, outputPadding.count == rank, pads.count == 2 * rank, group > 0,
              (kernel + strides + dilations).allSatisfy({ $0 > 0 }), input[1] == weight[0], weight[0] % group == 0 else {
            throw ONNXShapeError("kernel_shape, strides, dilations, pads, group or the weight \(weight) do not fit input \(input)")
        }
        let autoPad = node.string("auto_pad") ?? "NOTSET"
        var spatial: [Int] = []
        for axis in 0..<rank {
            let full = strides[axis] * (input[axis + 2] - 1) + outputPadding[axis] + dilations[axis] * (kernel[axis] - 1) + 1
            let wanted = node.ints("output_shape").map { $0[$0.count - rank + axis] }
                ?? (autoPad.hasPrefix("SAME") ? input[axis + 2] * strides[axis] : nil)
            if let wanted {
                let total = max(0, full - wanted)
                pads[axis] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                pads[axis + rank] = total - pads[axis]
                spatial.append(wanted)
            } else {
                spatial.append(full - pads[axis] - pads[axis + rank])
            }
        }
        guard spatial.allSatisfy({ $0 > 0 }) else { throw ONNXShapeError("the output would be empty (pads larger than the output)") }
        padsBegin = Array(pads.prefix(rank))
        outputShape = [input[0], weight[1] * group] + spatial
    }
}
