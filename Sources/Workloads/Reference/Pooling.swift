import ONNXProto

/// Max and average pooling over 1-D and 2-D windows, on raw planes: the reference operator and
/// the model engine run this one loop. Average counts only the input positions in the window
/// unless count_include_pad says to count the pads too (positions past the pads, from
/// ceil_mode, never count).
package struct Pooling: Sendable {
    package let outputShape: [Int]
    package let planes: Int
    let window: ReferenceOperators.PlanarWindow
    let padsEnd: [Int]
    let isMax: Bool
    let includePad: Bool

    package init(node: Onnx_NodeProto, input: [Int], isMax: Bool) throws {
        let onnxWindow: ONNXWindow
        do { onnxWindow = try ONNXWindow(node: node, input: input, weight: nil) } catch let error as ONNXShapeError {
            throw ReferenceOperators.Failure(message: error.message)
        }
        window = try ReferenceOperators.PlanarWindow(onnxWindow, input: input)
        padsEnd = input.count == 3 ? [0] + onnxWindow.padsEnd : onnxWindow.padsEnd
        outputShape = onnxWindow.outputShape
        planes = input[0] * input[1]
        self.isMax = isMax
        includePad = node.int("count_include_pad") ?? 0 == 1
    }

    /// Pools `planes` of `input` (N·C planes of H x W) into `output` (planes of OH x OW).
    package func run(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, planes: Range<Int>) {
        let p = window
        let (height, width, oh, ow) = (p.height, p.width, p.outHeight, p.outWidth)
        for plane in planes {
            let source = input + plane * height * width
            for y in 0..<oh {
                for xo in 0..<ow {
                    var best = -Float.infinity, sum: Float = 0, count = 0
                    var rowsInPads = 0, columnsInPads = 0
                    for i in 0..<p.kernel[0] {
                        let ih = y * p.strides[0] - p.pads[0] + i * p.dilations[0]
                        if ih < height + padsEnd[0] { rowsInPads += 1 }
                        guard ih >= 0 && ih < height else { continue }
                        for j in 0..<p.kernel[1] {
                            let iw = xo * p.strides[1] - p.pads[1] + j * p.dilations[1]
                            guard iw >= 0 && iw < width else { continue }
                            let value = source[ih * width + iw]
                            best = max(best, value)
                            sum += value
                            count += 1
                        }
                    }
                    for j in 0..<p.kernel[1] where xo * p.strides[1] - p.pads[1] + j * p.dilations[1] < width + padsEnd[1] { columnsInPads += 1 }
                    let divisor = includePad ? rowsInPads * columnsInPads : count
                    output[(plane * oh + y) * ow + xo] = isMax ? best : sum / Float(max(divisor, 1))
                }
            }
        }
    }
}
