import CFloatKernels
import Kernels
import ONNXProto

/// Max and average pooling over 1-D and 2-D windows, on raw planes: the reference operator and
/// the model engine run this one loop. Average counts only the input positions in the window
/// unless count_include_pad says to count the pads too (positions past the pads, from
/// ceil_mode, never count).
package struct Pooling: Sendable {
    package let outputShape: [Int]
    package let planes: Int
    /// The window's sizes: (height, width, outHeight, outWidth, kernelWidth, strides, pads, dilations).
    let sizes: (height: Int, width: Int, outHeight: Int, outWidth: Int, kernelWidth: Int, strideH: Int, strideW: Int,
                                  padH: Int, padW: Int, dilationH: Int, dilationW: Int)
    let isMax: Bool
    let includePad: Bool
    /// Per output row (column): the taps inside the input, and how many lie inside the pads.
    let rowTaps: [Taps], columnTaps: [Taps]
    /// The output columns whose every tap lies inside the input: one vector span per row.
    package let interior: Range<Int>

    struct Taps: Sendable {
        var first: Int, last: Int, inPads: Int
    }

    package init(node: Onnx_NodeProto, input: [Int], isMax: Bool) throws {
        let onnxWindow: ONNXWindow
        do { onnxWindow = try ONNXWindow(node: node, input: input, weight: nil) } catch let error as ONNXShapeError {
            throw ReferenceOperators.Failure(message: error.message)
        }
        let p = try ReferenceOperators.PlanarWindow(onnxWindow, input: input)
        sizes = (p.height, p.width, p.outHeight, p.outWidth, p.kernel[1], p.strides[0], p.strides[1], p.pads[0], p.pads[1], p.dilations[0], p.dilations[1])
        let padsEnd = input.count == 3 ? [0] + onnxWindow.padsEnd : onnxWindow.padsEnd
        outputShape = onnxWindow.outputShape
        planes = input[0] * input[1]
        self.isMax = isMax
        includePad = node.int("count_include_pad") ?? 0 == 1
        func taps(_ o: Int, _ axis: Int, _ size: Int) -> Taps {
            let (k, s, pad, d) = (p.kernel[axis], p.strides[axis], p.pads[axis], p.dilations[axis])
            var taps = Taps(first: k, last: 0, inPads: 0)
            for i in 0..<k {
                let position = o * s - pad + i * d
                if position < size + padsEnd[axis] { taps.inPads += 1 }
                if position >= 0 && position < size { taps.first = min(taps.first, i); taps.last = max(taps.last, i + 1) }
            }
            taps.last = max(taps.first, taps.last)
            return taps
        }
        rowTaps = (0..<p.outHeight).map { taps($0, 0, p.height) }
        columnTaps = (0..<p.outWidth).map { taps($0, 1, p.width) }
        let full = { (t: Taps) in t.first == 0 && t.last == p.kernel[1] }
        let start = columnTaps.firstIndex(where: full) ?? 0
        interior = start..<(columnTaps[start...].firstIndex { !full($0) } ?? (columnTaps.isEmpty ? 0 : p.outWidth))
    }

    /// Pools `planes` of `input` (N·C planes of H x W) into `output` (planes of OH x OW).
    package func run(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, planes: Range<Int>) {
        let (height, width, oh, ow, kw, sh, sw, ph, pw, dh, dw) = sizes
        let (isMax, includePad, interior) = (self.isMax, self.includePad, self.interior)
        // 2x2 windows at stride 2 with no pads, every window inside the input: the CNN pool.
        if kw == 2, sw == 2, sh == 2, ph == 0, pw == 0, dh == 1, dw == 1, interior == 0..<ow, 2 * ow <= width, 2 * oh <= height,
           rowTaps.allSatisfy({ $0.first == 0 && $0.last == 2 }) {
            for plane in planes {
                VectorLoops.current.pool2x2_plane(input + plane * height * width, width, output + plane * oh * ow, oh, ow, isMax ? 1 : 0)
            }
            return
        }
        for plane in planes {
            let source = input + plane * height * width
            let destination = output + plane * oh * ow
            for y in 0..<oh {
                let row = rowTaps[y]
                let top = y * sh - ph
                if !interior.isEmpty {
                    let inPads = includePad ? row.inPads * columnTaps[interior.lowerBound].inPads : (row.last - row.first) * kw
                    VectorLoops.current.pool_span(
                        source + (top + row.first * dh) * width + interior.lowerBound * sw - pw, dh * width, row.last - row.first, kw, dw, sw,
                        destination + y * ow + interior.lowerBound, interior.count, isMax ? 1 : 0, 1 / Float(max(inPads, 1))
                    )
                }
                // The columns whose windows reach into the padding, one at a time.
                func edge(_ xo: Int) {
                    let column = columnTaps[xo]
                    var best = -Float.infinity, sum: Float = 0
                    for i in row.first..<row.last {
                        let line = source + (top + i * dh) * width + xo * sw - pw
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
                for xo in 0..<interior.lowerBound { edge(xo) }
                for xo in interior.upperBound..<ow { edge(xo) }
            }
        }
    }
}
