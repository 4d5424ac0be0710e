import ONNXProto

/// The sliding window of a Conv or pooling node: kernel, strides, pads (begin and end per
/// spatial axis), dilations and groups, with auto_pad resolved against the input.
public struct ONNXWindow: Sendable {
    public var kernel: [Int]
    public var strides: [Int]
    public var padsBegin: [Int]
    public var padsEnd: [Int]
    public var dilations: [Int]
    public var group: Int
    public var outputShape: [Int]

    public init(node: Onnx_NodeProto, input: [Int], weight: [Int]?) throws {
        guard input.count >= 3 else { throw ONNXShapeError("needs an N x C x spatial input, got \(input)") }
        let spatial = Array(input.dropFirst(2))
        let rank = spatial.count
        if let weight { guard weight.count == input.count else { throw ONNXShapeError("weight \(weight) does not match input \(input)") } }
        kernel = node.ints("kernel_shape") ?? weight.map { Array($0.dropFirst(2)) } ?? []
        strides = node.ints("strides") ?? Array(repeating: 1, count: rank)
        dilations = node.ints("dilations") ?? Array(repeating: 1, count: rank)
        group = node.int("group") ?? 1
        let pads = node.ints("pads") ?? Array(repeating: 0, count: 2 * rank)
        guard kernel.count == rank, strides.count == rank, dilations.count == rank, pads.count == 2 * rank,
              (strides + dilations + kernel).allSatisfy({ $0 > 0 }), pads.allSatisfy({ $0 >= 0 }), group > 0 else {
            throw ONNXShapeError("kernel_shape, strides, dilations or pads do not fit \(rank) spatial axes")
        }
        // Window arithmetic multiplies these: hostile 2^62 values would overflow, real ones are small.
        guard (strides + dilations + kernel + pads + [group]).allSatisfy({ $0 <= Int(Int32.max) }) else {
            throw ONNXShapeError("kernel_shape, strides, dilations, pads or group has a value above 2^31")
        }
        padsBegin = Array(pads.prefix(rank))
        padsEnd = Array(pads.suffix(rank))
        let autoPad = node.string("auto_pad") ?? "NOTSET"
        let ceilMode = node.int("ceil_mode") ?? 0 == 1
        var out: [Int] = []
        for axis in 0..<rank {
            let extent = dilations[axis] * (kernel[axis] - 1) + 1
            switch autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                let size = (spatial[axis] + strides[axis] - 1) / strides[axis]
                let total = max(0, (size - 1) * strides[axis] + extent - spatial[axis])
                padsBegin[axis] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                padsEnd[axis] = total - padsBegin[axis]
                out.append(size)
            case "VALID", "NOTSET", "":
                if autoPad == "VALID" { padsBegin[axis] = 0; padsEnd[axis] = 0 }
                let span = spatial[axis] + padsBegin[axis] + padsEnd[axis] - extent
                guard span >= 0 else { throw ONNXShapeError("the window (\(extent)) is larger than the padded input on axis \(axis + 2)") }
                out.append((ceilMode ? (span + strides[axis] - 1) / strides[axis] : span / strides[axis]) + 1)
            default:
                throw ONNXShapeError("auto_pad \"\(autoPad)\" is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
            }
        }
        var channels = input[1]
        if let weight {
            guard input[1] % group == 0, weight[1] * group == input[1], weight[0] % group == 0 else {
                throw ONNXShapeError("weight \(weight) with group \(group) does not match \(input[1]) input channels")
            }
            channels = weight[0]
        }
        outputShape = [input[0], channels] + out
    }
}
