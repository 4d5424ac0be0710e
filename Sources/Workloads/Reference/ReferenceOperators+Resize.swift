import ONNXProto

// Resize and Upsample (nearest and linear, any rank) and ConvTranspose (1-D and 2-D): the
// decoder and segmentation operators, run plainly, one axis at a time for Resize (nearest and
// linear interpolation are both separable, so this equals the N-linear definition).
extension ReferenceOperators {
    static func resize(_ node: Onnx_NodeProto, _ inputs: [Tensor?], opset: Int) throws -> Tensor {
        guard let x = inputs.first ?? nil else { throw Failure(message: "input 0 is missing") }
        let parameters: ONNXResize
        do { parameters = try ONNXResize(node: node, inputs: inputs.map { $0?.value }, opset: opset) } catch let error as ONNXShapeError {
            throw Failure(message: error.message)
        }
        var current = x
        for axis in x.shape.indices where parameters.outputShape[axis] != x.shape[axis] || parameters.scales[axis] != 1 {
            current = resample(current, axis: axis, size: parameters.outputShape[axis]) { output in
                let position = parameters.source(output, axis: axis)
                if parameters.mode == .nearest { return [(parameters.nearestIndex(position, axis: axis), 1)] }
                let last = x.shape[axis] - 1
                let clamped = min(max(position, 0), Double(last))
                let low = Int(clamped.rounded(.down))
                let high = min(low + 1, last)
                let weight = clamped - Double(low)
                return weight == 0 ? [(low, 1)] : [(low, 1 - weight), (high, weight)]
            }
        }
        return current
    }

    /// `x` with `axis` resampled to `size`: each output index a weighted sum of input indices.
    private static func resample(_ x: Tensor, axis: Int, size: Int, taps: (Int) -> [(Int, Double)]) -> Tensor {
        let outer = x.shape.prefix(axis).reduce(1, *), inner = x.shape.dropFirst(axis + 1).reduce(1, *)
        let extent = x.shape[axis]
        let table = (0..<size).map(taps)
        var data = [Float](repeating: 0, count: outer * size * inner)
        for o in 0..<outer {
            for (target, sources) in table.enumerated() {
                let destination = (o * size + target) * inner
                for (source, weight) in sources {
                    let start = (o * extent + source) * inner
                    for i in 0..<inner { data[destination + i] += Float(weight * Double(x.data[start + i])) }
                }
            }
        }
        var shape = x.shape
        shape[axis] = size
        return Tensor(shape: shape, data: data)
    }

    static func convTranspose(_ node: Onnx_NodeProto, _ x: Tensor, _ w: Tensor, _ bias: Tensor?) throws -> Tensor {
        let window: ONNXTransposedWindow
        do { window = try ONNXTransposedWindow(node: node, input: x.shape, weight: w.shape) } catch let error as ONNXShapeError {
            throw Failure(message: error.message)
        }
        guard x.shape.count == 3 || x.shape.count == 4 else { throw Failure(message: "only 1-D and 2-D transposed convolutions run") }
        // 1-D as 2-D with a height of 1.
        let planar = x.shape.count == 3
        func axis2(_ values: [Int], _ unit: Int) -> [Int] { planar ? [unit] + values : values }
        let (strides, dilations, pads) = (axis2(window.strides, 1), axis2(window.dilations, 1), axis2(window.padsBegin, 0))
        let (height, width) = planar ? (1, x.shape[2]) : (x.shape[2], x.shape[3])
        let (r, s) = planar ? (1, w.shape[2]) : (w.shape[2], w.shape[3])
        let (oh, ow) = planar ? (1, window.outputShape[2]) : (window.outputShape[2], window.outputShape[3])
        let (batch, channels, out) = (x.shape[0], x.shape[1], window.outputShape[1])
        let (perGroup, outPerGroup) = (channels / window.group, w.shape[1])
        var data = [Double](repeating: 0, count: batch * out * oh * ow)
        for image in 0..<batch {
            for c in 0..<channels {
                let g = c / perGroup
                for ih in 0..<height {
                    for iw in 0..<width {
                        let value = Double(x.data[((image * channels + c) * height + ih) * width + iw])
                        for k in 0..<outPerGroup {
                            let o = g * outPerGroup + k
                            for i in 0..<r {
                                let y = ih * strides[0] - pads[0] + i * dilations[0]
                                guard y >= 0 && y < oh else { continue }
                                for j in 0..<s {
                                    let xo = iw * strides[1] - pads[1] + j * dilations[1]
                                    guard xo >= 0 && xo < ow else { continue }
                                    data[((image * out + o) * oh + y) * ow + xo] += value * Double(w.data[((c * outPerGroup + k) * r + i) * s + j])
                                }
                            }
                        }
                    }
                }
            }
        }
        let plane = oh * ow
        let values = data.enumerated().map { index, sum in Float(sum + Double(bias?.data[(index / plane) % out] ?? 0)) }
        return Tensor(shape: window.outputShape, data: values)
    }
}
