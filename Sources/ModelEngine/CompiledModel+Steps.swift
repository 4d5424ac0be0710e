import Dispatch
import Kernels
import ONNXProto
import TunebenchCore
import Workloads

// The compiled model's steps for tuned layers (kernels straight on the arena) and for the
// indexing operators (Slice, Split) worked out once into index tables.
extension CompiledModel {
    static func layerStep(_ step: BoundStep, node: Onnx_NodeProto, operand: (String) -> Operand?, buffers: inout [FloatBuffer], clock: Clock,
                          fail: (String) -> FileError) throws -> () throws -> Void {
        guard let input = operand(node.input[0]) else { throw fail("its input is not a float value in memory") }
        guard let output = operand(step.binding.output) else { throw fail("its output \"\(step.binding.output)\" is not a float value in memory") }
        var source = input.pointer
        var prepare: [() -> Void] = []
        if step.binding.transposeA {
            // Gemm transA: A [K, M] read as [M, K].
            let (pointer, work) = transposed(input, buffers: &buffers)
            prepare.append(work)
            source = pointer
        }
        if let padding = step.binding.inputPadding {
            // The pads stay zero: only the interior is written, every pass.
            let shape = input.shape.count == 3 ? [input.shape[0], input.shape[1], 1, input.shape[2]] : input.shape
            let (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3])
            let (paddedHeight, paddedWidth) = (height + padding[0] + padding[2], width + padding[1] + padding[3])
            let scratch = FloatBuffer(count: planes * paddedHeight * paddedWidth)
            buffers.append(scratch)
            let (from, to, top, left) = (source, scratch.pointer, padding[0], padding[1])
            prepare.append {
                for plane in 0..<planes {
                    for row in 0..<height {
                        (to + (plane * paddedHeight + row + top) * paddedWidth + left).update(from: from + (plane * height + row) * width, count: width)
                    }
                }
            }
            source = scratch.pointer
        }
        let destination = output.pointer
        switch step.kernel {
        case .layer(let kernel):
            let a = source
            return {
                for work in prepare { work() }
                let start = DispatchTime.now().uptimeNanoseconds
                kernel.run(input: a, output: destination)
                clock.nanoseconds += DispatchTime.now().uptimeNanoseconds - start
            }
        case let .product(kernel, m, n, k):
            guard node.input.count > 1, let b = operand(node.input[1]) else { throw fail("its B input is not a float value in memory") }
            var bPointer = b.pointer
            var bShape = b.shape
            if step.binding.transposeB {
                let (pointer, work) = transposed(b, buffers: &buffers)
                prepare.append(work)
                bPointer = pointer
                bShape = [b.shape[1], b.shape[0]]
            }
            let pa = input.shape.count == 1 ? [1] + input.shape : input.shape
            let pb = bShape.count == 1 ? bShape + [1] : bShape
            let batchA = pb.count == 2 ? [] : Array(pa.dropLast(2)), batchB = Array(pb.dropLast(2))
            let batch: [Int]
            do { batch = try ReferenceOperators.broadcastShape(batchA, batchB) } catch let failure as ReferenceOperators.Failure { throw fail(failure.message) }
            // Each product's A and B offsets, worked out once.
            let offsets = (0..<batch.reduce(1, *)).map { index -> (Int, Int) in
                let c = ReferenceOperators.coordinates(of: index, in: batch)
                return ((batchA.isEmpty ? 0 : ReferenceOperators.broadcastSource(c, from: batchA)) * m * k,
                        (batchB.isEmpty ? 0 : ReferenceOperators.broadcastSource(c, from: batchB)) * k * n)
            }
            let (a, bBase) = (source, bPointer)
            return {
                for work in prepare { work() }
                let start = DispatchTime.now().uptimeNanoseconds
                for (index, offset) in offsets.enumerated() { kernel.run(a: a + offset.0, b: bBase + offset.1, c: destination + index * m * n) }
                clock.nanoseconds += DispatchTime.now().uptimeNanoseconds - start
            }
        }
    }

    /// A scratch buffer (kept in `buffers`) for the transpose of a 2-D `matrix`, and the work
    /// that fills it each pass.
    private static func transposed(_ matrix: Operand, buffers: inout [FloatBuffer]) -> (UnsafeMutablePointer<Float>, () -> Void) {
        let (rows, columns) = (matrix.shape[0], matrix.shape[1])
        let scratch = FloatBuffer(count: matrix.count)
        buffers.append(scratch)
        let (from, to) = (matrix.pointer, scratch.pointer)
        return (to, { for r in 0..<rows { for c in 0..<columns { to[c * rows + r] = from[r * columns + c] } } })
    }

    /// Gather of float rows (an embedding lookup) by ids read where they live: a boxed integer
    /// value (token ids), the arena or a constant. Each id's block is one copy.
    static func gather(_ node: Onnx_NodeProto, _ table: Operand, ids: Slot, count: Int, _ out: Operand, base: UnsafeMutablePointer<Float>,
                       boxes: BoxStore, fail: @escaping (String) -> FileError) -> (() throws -> Void)? {
        guard let axis = try? ReferenceOperators.normalize(node.int("axis") ?? 0, table.shape.count) else { return nil }
        let (outer, size, inner) = (table.shape[..<axis].reduce(1, *), table.shape[axis], table.shape[(axis + 1)...].reduce(1, *))
        guard out.count == outer * count * inner else { return nil }
        let (source, destination) = (table.pointer, out.pointer)
        func copy(_ id: (Int) -> Int) throws {
            for o in 0..<outer {
                for position in 0..<count {
                    var pick = id(position)
                    if pick < 0 { pick += size }
                    guard (0..<size).contains(pick) else { throw fail("index \(id(position)) is out of range for an axis of size \(size)") }
                    (destination + (o * count + position) * inner).update(from: source + (o * size + pick) * inner, count: inner)
                }
            }
        }
        // A float that is no index (NaN, huge) becomes one out of range, refused above.
        func integer(_ x: Float) -> Int { x.isFinite && abs(x) < 1e18 ? Int(x) : Int.min / 2 }
        switch ids {
        case .boxed(let index):
            return {
                guard let value = boxes.values[index], value.count == count else { throw fail("its indices were not computed") }
                if let ints = value.ints { try copy { Int(clamping: ints[$0]) } } else { try copy { integer(value.data[$0]) } }
            }
        case .arena(let offset, _): return { try copy { integer(base[offset + $0]) } }
        case .constant(_, let buffer): return { try copy { integer(buffer.pointer[$0]) } }
        }
    }

    /// Where(condition, x, y) with the broadcasting worked out once; the condition read where it
    /// lives (the arena, a constant, or a boxed integer value: a mask).
    static func select(_ condition: Slot, _ conditionShape: [Int], _ x: Operand, _ y: Operand, _ out: Operand, base: UnsafeMutablePointer<Float>,
                       boxes: BoxStore) -> (() throws -> Void)? {
        let (px, py, destination, count) = (x.pointer, y.pointer, out.pointer, out.count)
        // An attention mask fill: the mask repeats along the leading axes (its shape, leading 1s
        // dropped, is the output's trailing one) and x and y are each the output's shape or one
        // value. The mask is read row by row with no index tables (three tables of the output's
        // size were most of this step's time, measured on BERT).
        let trailing = Array(conditionShape.drop { $0 == 1 })
        let period = max(1, trailing.reduce(1, *))
        let plain = { (operand: Operand) in operand.shape.reduce(1, *) == count || operand.shape.reduce(1, *) == 1 }
        if count % period == 0, Array(out.shape.suffix(trailing.count)) == trailing, plain(x), plain(y) {
            let (xStep, yStep) = (x.count == count ? 1 : 0, y.count == count ? 1 : 0)
            func fill(_ c: UnsafePointer<Float>) {
                for start in stride(from: 0, to: count, by: period) {
                    for j in 0..<period {
                        let i = start + j
                        destination[i] = c[j] != 0 ? px[i * xStep] : py[i * yStep]
                    }
                }
            }
            return run(condition, base: base, boxes: boxes, fill)
        }
        let (oc, ox, oy) = (FastOperators.broadcastIndices(conditionShape, to: out.shape), FastOperators.broadcastIndices(x.shape, to: out.shape),
                            FastOperators.broadcastIndices(y.shape, to: out.shape))
        func loop(_ c: UnsafePointer<Float>) {
            for i in 0..<count { destination[i] = c[Int(oc[i])] != 0 ? px[Int(ox[i])] : py[Int(oy[i])] }
        }
        return run(condition, base: base, boxes: boxes, loop)
    }

    /// `loop` over the condition's values wherever they live.
    private static func run(_ condition: Slot, base: UnsafeMutablePointer<Float>, boxes: BoxStore,
                            _ loop: @escaping (UnsafePointer<Float>) -> Void) -> (() throws -> Void)? {
        switch condition {
        case .arena(let offset, _): return { loop(base + offset) }
        case .constant(_, let buffer): return { loop(buffer.pointer) }
        case .boxed(let index):
            return {
                guard let mask = boxes.values[index] else { throw FileError(path: "", message: "Where: its condition was not computed") }
                mask.data.withUnsafeBufferPointer { loop($0.baseAddress!) }
            }
        }
    }

    /// Slice and Split as copies through index tables; nil when an operand is not in memory or
    /// the parameters are not constants.
    static func indexing(_ node: Onnx_NodeProto, _ inputs: [Operand?], outputs: [Operand?], known: [String: ONNXValue], opset: Int,
                         parallel: FastOperators.Parallel) -> (() -> Void)? {
        guard let x = inputs.first ?? nil else { return nil }
        let values = node.input.map { $0.isEmpty ? nil : known[$0] }
        if node.opType == "Slice" {
            guard let out = outputs.first ?? nil, let selection = try? ONNXOperatorShapes.sliceSelection(node: node, inputs: values, opset: opset) else { return nil }
            return FastOperators.gather(x.pointer, indices: FastOperators.selectionIndices(selection, of: x.shape), into: out.pointer, parallel: parallel)
        }
        guard let parts = try? ONNXOperatorShapes.split(node: node, inputs: values, opset: opset),
              let axis = try? ReferenceOperators.normalize(node.int("axis") ?? 0, x.shape.count), outputs.count == parts.count else { return nil }
        var runs: [() -> Void] = []
        var start = 0
        for (part, out) in zip(parts, outputs) {
            let size = part?.shape[axis] ?? 0
            var selection = x.shape.map { Array(0..<$0) }
            selection[axis] = Array(start..<start + size)
            start += size
            guard let out else { continue }
            runs.append(FastOperators.gather(x.pointer, indices: FastOperators.selectionIndices(selection, of: x.shape), into: out.pointer, parallel: parallel))
        }
        return { for run in runs { run() } }
    }
}
