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
        let (kh, kw, sh, sw, ph, pw, dh, dw) = (p.kernel[0], p.kernel[1], p.strides[0], p.strides[1], p.pads[0], p.pads[1], p.dilations[0], p.dilations[1])
        // Per output row (column): the taps inside the input, and how many lie inside the pads.
        func taps(_ o: Int, _ k: Int, _ s: Int, _ pad: Int, _ d: Int, _ size: Int, _ padEnd: Int) -> (first: Int, last: Int, inPads: Int) {
            var first = k, last = 0, inPads = 0
            for i in 0..<k {
                let position = o * s - pad + i * d
                if position < size + padEnd { inPads += 1 }
                if position >= 0 && position < size { first = min(first, i); last = max(last, i + 1) }
            }
            return (first, max(first, last), inPads)
        }
        let rows = (0..<oh).map { taps($0, kh, sh, ph, dh, height, padsEnd[0]) }
        let columns = (0..<ow).map { taps($0, kw, sw, pw, dw, width, padsEnd[1]) }
        let (isMax, includePad) = (self.isMax, self.includePad)
        for plane in planes {
            let source = input + plane * height * width
            let destination = output + plane * oh * ow
            for y in 0..<oh {
                let row = rows[y]
                for xo in 0..<ow {
                    let column = columns[xo]
                    var best = -Float.infinity, sum: Float = 0
                    for i in row.first..<row.last {
                        let line = source + (y * sh - ph + i * dh) * width + xo * sw - pw
                        for j in column.first..<column.last {
                            let value = line[j * dw]
                            best = max(best, value)
                            sum += value
                        }
                    }
                    let count = (row.last - row.first) * (column.last - column.first)
                    let divisor = includePad ? row.inPads * column.inPads : count
                    destination[y * ow + xo] = isMax ? best : sum / Float(max(divisor, 1))
                }
            }
        }
    }
}
