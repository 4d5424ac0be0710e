import CFloatKernels
import Kernels
import ONNXProto
import Workloads

/// Scaled dot-product attention found in a graph, run as one step:
/// `MatMul(Q, Kᵀ) → (Mul | Div by a constant)* → Add(mask)? → Softmax(last axis) → MatMul(·, V)`,
/// with the Transposes that make Q, Kᵀ and V out of the projections (and the one after the
/// context) read and written through strides instead of copied. Each head's rows go four at a
/// time through both products with their scores in L1 (`ckernel_attention_rows`); the heads
/// (and, with fewer heads than threads, blocks of rows) are split over the thread team.
///
/// It replaces the two matmul layers of the attention: their tuned configurations are not used
/// where the fusion applies (`CompiledModel.fusedAttentions` says where).
struct FusedAttention {
    /// A value read or written through strides over its logical axes: the batch axes of the
    /// context (right-aligned, 0 where the value is broadcast), then rows and columns.
    struct Strided {
        var name: String
        var strides: [Int]
        /// Where element 0 is, from the value's start.
        var offset = 0
    }

    /// Every node the step replaces, and the one it runs in place of (the context MatMul).
    var nodes: Set<Int>
    var anchor: Int
    var query: Strided
    /// Keys as rows (Sk × D, not the Kᵀ the graph multiplies by).
    var key: Strided
    var value: Strided
    var mask: Strided?
    var scale: Float
    /// Rows whose every key is masked out (−∞) give zeros instead of NaN (the graph says so).
    var zeroEmptyRows = false
    var output: Strided
    /// The context's batch axes, query rows, key rows, key width and value width.
    var batch: [Int]
    var rows: Int, keys: Int, width: Int, valueWidth: Int
    /// "attn.scores → attn.softmax → attn.context", for reports.
    var description: String

    /// The attentions of `graph` the compiled model can run fused. `steps` are the bound
    /// layers: a layer whose epilogue absorbed a node of the pattern keeps it unfused.
    static func find(graph: Onnx_GraphProto, shapes: [String: ONNXValue], constants: [String: Tensor], isFloat: (String) -> Bool,
                     steps: [BoundStep], opset: Int) -> [FusedAttention] {
        var producer: [String: Int] = [:]
        var readers: [String: [(node: Int, position: Int)]] = [:]
        for (index, node) in graph.node.enumerated() {
            for name in node.output where !name.isEmpty { producer[name] = index }
            for (position, name) in node.input.enumerated() where !name.isEmpty { readers[name, default: []].append((index, position)) }
        }
        let graphOutputs = Set(graph.output.map(\.name))
        let epilogueNodes = steps.map { ($0.binding.node, Set($0.binding.fusedNodes)) }
        func own(_ node: Onnx_NodeProto) -> Bool { node.domain.isEmpty || node.domain == "ai.onnx" }
        /// The one node that reads `name`, when exactly one does and it is not a graph output.
        func onlyReader(_ name: String) -> Int? {
            guard !graphOutputs.contains(name), let users = readers[name], users.count == 1 else { return nil }
            return users[0].node
        }
        func scalar(_ name: String) -> Float? {
            guard let tensor = constants[name], tensor.count == 1, isFloat(name) else { return nil }
            return tensor.data[0]
        }

        /// `Where(IsNaN(p), 0, p)` when it is all that reads `p`: its nodes and output.
        func nanGuard(of p: String) -> (nodes: [Int], output: String)? {
            guard !graphOutputs.contains(p), let users = readers[p], users.count == 2,
                  let isNaN = users.first(where: { graph.node[$0.node].opType == "IsNaN" && $0.position == 0 })?.node,
                  let select = users.first(where: { graph.node[$0.node].opType == "Where" && $0.position == 2 })?.node,
                  own(graph.node[isNaN]), own(graph.node[select]), onlyReader(graph.node[isNaN].output[0]) == select,
                  graph.node[select].input.count == 3, graph.node[select].input[0] == graph.node[isNaN].output[0],
                  scalar(graph.node[select].input[1]) == 0 else { return nil }
            return ([isNaN, select], graph.node[select].output[0])
        }

        var found: [FusedAttention] = []
        for (softmaxIndex, softmax) in graph.node.enumerated() where softmax.opType == "Softmax" && own(softmax) {
            guard let scoresShape = shapes[softmax.input[0]]?.shape, scoresShape.count >= 2,
                  let axis = try? ReferenceOperators.normalize(softmax.int("axis") ?? (opset < 13 ? 1 : -1), scoresShape.count),
                  axis == scoresShape.count - 1 else { continue }
            var nodes: [Int] = [softmaxIndex]
            var scale: Float = 1
            var mask: String?
            var current = softmax.input[0]
            var scoresIndex: Int?
            // Backwards from the softmax: the mask, the scales, the product.
            walk: while onlyReader(current) != nil, let index = producer[current], own(graph.node[index]) {
                let node = graph.node[index]
                switch node.opType {
                case "MatMul":
                    scoresIndex = index
                    break walk
                case "Add" where mask == nil && scale == 1 && node.input.count == 2:
                    let leads = node.input.map { producer[$0].map { ["MatMul", "Mul", "Div"].contains(graph.node[$0].opType) } ?? false }
                    let side = leads[0] ? 0 : leads[1] ? 1 : -1
                    guard side >= 0, let maskShape = shapes[node.input[1 - side]]?.shape, isFloat(node.input[1 - side]),
                          maskShape.count <= scoresShape.count, maskShape.last == scoresShape.last,
                          zip(maskShape.reversed(), scoresShape.reversed()).allSatisfy({ $0 == $1 || $0 == 1 }) else { break walk }
                    mask = node.input[1 - side]
                    current = node.input[side]
                case "Mul" where node.input.count == 2:
                    if let c = scalar(node.input[1]) { scale *= c; current = node.input[0] } else if let c = scalar(node.input[0]) {
                        scale *= c
                        current = node.input[1]
                    } else { break walk }
                case "Div" where node.input.count == 2:
                    guard let c = scalar(node.input[1]), c != 0 else { break walk }
                    scale /= c
                    current = node.input[0]
                default:
                    break walk
                }
                nodes.append(index)
            }
            guard let scoresIndex else { continue }
            // torch's scaled_dot_product_attention (the dynamo exporter) zeroes the rows a mask
            // leaves empty: Where(IsNaN(P), 0, P) between the softmax and the context product.
            var probabilities = softmax.output[0]
            var zeroEmptyRows = false
            if let guarded = nanGuard(of: probabilities) {
                nodes += guarded.nodes
                probabilities = guarded.output
                zeroEmptyRows = true
            }
            guard let contextIndex = onlyReader(probabilities), graph.node[contextIndex].opType == "MatMul", own(graph.node[contextIndex]),
                  readers[probabilities]![0].position == 0 else { continue }
            nodes.append(scoresIndex)
            nodes.append(contextIndex)
            let scores = graph.node[scoresIndex], context = graph.node[contextIndex]
            guard scores.input.count == 2, context.input.count == 2 else { continue }
            // Scales on the operands (the dynamo exporter multiplies Q and Kᵀ each by √scale).
            var scoreInputs = [scores.input[0], scores.input[1]]
            for side in 0..<2 {
                while onlyReader(scoreInputs[side]) != nil, let index = producer[scoreInputs[side]], own(graph.node[index]),
                      graph.node[index].opType == "Mul", graph.node[index].input.count == 2 {
                    let mul = graph.node[index]
                    guard let (factor, other) = scalar(mul.input[1]).map({ ($0, mul.input[0]) }) ?? scalar(mul.input[0]).map({ ($0, mul.input[1]) }) else { break }
                    scale *= factor
                    scoreInputs[side] = other
                    nodes.append(index)
                }
            }
            guard let q = shapes[scoreInputs[0]]?.shape, let kt = shapes[scoreInputs[1]]?.shape,
                  let v = shapes[context.input[1]]?.shape, let out = shapes[context.output[0]]?.shape,
                  [q, kt, v].allSatisfy({ $0.count >= 2 && $0.count <= out.count }), out.count == scoresShape.count,
                  [scoreInputs[0], scoreInputs[1], context.input[1]].allSatisfy(isFloat), q == shapes[scores.input[0]]?.shape,
                  kt == shapes[scores.input[1]]?.shape else { continue }
            let rank = out.count
            let (rows, width, keys, valueWidth) = (q[q.count - 2], q[q.count - 1], kt[kt.count - 1], v[v.count - 1])
            let batch = Array(out.prefix(rank - 2))
            guard kt[kt.count - 2] == width, v[v.count - 2] == keys, out.suffix(2) == [rows, valueWidth], scoresShape.suffix(2) == [rows, keys],
                  rows > 0, keys > 0, width > 0, valueWidth > 0,
                  [q, kt, v].allSatisfy({ zip($0.dropLast(2).reversed(), batch.reversed()).allSatisfy { $0 == $1 || $0 == 1 } }) else { continue }

            // The operands through the Transposes that made them (when only the pattern reads them),
            // and through Reshape(Split(projection, last axis)) when every part of the Split is one
            // of them: Q, K and V then read the fused projection in place and the Split is not run.
            func splitView(_ name: String) -> (source: String, offset: Int, strides: [Int], nodes: [Int], split: Int)? {
                guard onlyReader(name) != nil, let reshape = producer[name], graph.node[reshape].opType == "Reshape", own(graph.node[reshape]),
                      let part = graph.node[reshape].input.first, onlyReader(part) != nil, let inner = shapes[part]?.shape,
                      let outer = shapes[name]?.shape, outer.count == inner.count + 1, inner.count >= 1,
                      Array(outer.prefix(inner.count - 1)) == Array(inner.dropLast()), let split = producer[part],
                      graph.node[split].opType == "Split", own(graph.node[split]), let projection = graph.node[split].input.first,
                      let whole = shapes[projection]?.shape, whole.count == inner.count, isFloat(projection),
                      (try? ReferenceOperators.normalize(graph.node[split].int("axis") ?? 0, whole.count)) == whole.count - 1 else { return nil }
                var offset = 0
                for output in graph.node[split].output {
                    if output == part { break }
                    offset += shapes[output]?.shape.last ?? 0
                }
                return (projection, offset, Array(contiguousStrides(whole).dropLast()) + [outer[outer.count - 1], 1], [reshape], split)
            }
            func strided(_ name: String, shape: [Int], throughSplit: Bool) -> (Strided, [Int], split: Int?) {
                var result = (Strided(name: name, strides: contiguousStrides(shape)), [Int](), Int?.none)
                if onlyReader(name) != nil, let index = producer[name], graph.node[index].opType == "Transpose", own(graph.node[index]),
                   let input = graph.node[index].input.first, let inShape = shapes[input]?.shape, isFloat(input) {
                    let perm = graph.node[index].ints("perm") ?? Array((0..<inShape.count).reversed())
                    if perm.sorted() == Array(0..<inShape.count), perm.count == shape.count {
                        if throughSplit, let view = splitView(input) {
                            result = (Strided(name: view.source, strides: perm.map { view.strides[$0] }, offset: view.offset), [index] + view.nodes, view.split)
                        } else {
                            let inStrides = contiguousStrides(inShape)
                            result = (Strided(name: input, strides: perm.map { inStrides[$0] }), [index], nil)
                        }
                    }
                }
                result.0.strides = aligned(result.0.strides, shape: shape, rank: rank)
                return result
            }
            var operands = [(scoreInputs[0], q), (scoreInputs[1], kt), (context.input[1], v)].map { strided($0.0, shape: $0.1, throughSplit: true) }
            // A Split with a part outside Q, K and V runs anyway: read its outputs then. (Each part
            // read here has this pattern's Reshape as its only reader, so a count says it.)
            for (index, operand) in operands.enumerated() {
                guard let split = operand.split else { continue }
                if operands.filter({ $0.split == split }).count != graph.node[split].output.filter({ !$0.isEmpty }).count {
                    operands[index] = strided([scoreInputs[0], scoreInputs[1], context.input[1]][index], shape: [q, kt, v][index], throughSplit: false)
                }
            }
            let query = operands[0].0, value = operands[2].0
            var key = operands[1].0
            key.strides.swapAt(rank - 2, rank - 1)
            var absorbed = operands.flatMap(\.1) + Set(operands.compactMap(\.split))
            var output = Strided(name: context.output[0], strides: contiguousStrides(out))
            if let next = onlyReader(context.output[0]), graph.node[next].opType == "Transpose", own(graph.node[next]),
               let written = graph.node[next].output.first, let shape = shapes[written]?.shape {
                let perm = graph.node[next].ints("perm") ?? Array((0..<rank).reversed())
                if perm.sorted() == Array(0..<rank) {
                    let writtenStrides = contiguousStrides(shape)
                    var strides = [Int](repeating: 0, count: rank)
                    for (axis, source) in perm.enumerated() { strides[source] = writtenStrides[axis] }
                    output = Strided(name: written, strides: strides)
                    absorbed.append(next)
                }
            }
            let maskStrided = mask.flatMap { name in shapes[name].map { Strided(name: name, strides: aligned(contiguousStrides($0.shape), shape: $0.shape, rank: rank)) } }
            let all = Set(nodes + absorbed)
            // A layer's epilogue that absorbed one of these nodes (or a replaced layer that absorbed
            // nodes after it) leaves the attention to the unfused steps.
            guard !epilogueNodes.contains(where: { source, fused in all.contains(source) ? !fused.isEmpty : !fused.isDisjoint(with: all) }) else { continue }
            let names = [scoresIndex, softmaxIndex, contextIndex].map { graph.node[$0].label(index: $0) }
            found.append(FusedAttention(nodes: all, anchor: contextIndex, query: query, key: key, value: value, mask: maskStrided, scale: scale,
                                        zeroEmptyRows: zeroEmptyRows,
                                        output: output, batch: batch, rows: rows, keys: keys, width: width, valueWidth: valueWidth,
                                        description: names.joined(separator: " → ")))
        }
        return found
    }

    /// Row-major strides of `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        return strides
    }

    /// `strides` of a value of `shape` right-aligned to `rank` axes, 0 on the axes it is broadcast along.
    private static func aligned(_ strides: [Int], shape: [Int], rank: Int) -> [Int] {
        let own = zip(strides, shape).map { $1 == 1 ? 0 : $0 }
        return [Int](repeating: 0, count: rank - own.count) + own
    }

    /// The step: `operand` gives where each value lives. Nil when one is not a float value in memory.
    func step(operand: (String) -> Operand?, parallel: FastOperators.Parallel) -> FastOperators.Run? {
        guard let q = operand(query.name), let k = operand(key.name), let v = operand(value.name), let o = operand(output.name) else { return nil }
        let m = mask.flatMap { operand($0.name) }
        if mask != nil && m == nil { return nil }
        let rank = batch.count + 2
        let batches = batch.reduce(1, *)
        // Each head's offset into every operand, worked out once.
        func offsets(_ strided: Strided) -> [Int] {
            (0..<batches).map { index in
                var rest = index, offset = 0
                for axis in stride(from: batch.count - 1, through: 0, by: -1) {
                    offset += rest % batch[axis] * strided.strides[axis]
                    rest /= batch[axis]
                }
                return strided.offset + offset
            }
        }
        let (qOffsets, kOffsets, vOffsets, oOffsets) = (offsets(query), offsets(key), offsets(value), offsets(output))
        let mOffsets = mask.map(offsets) ?? []
        let (qs, ks, vs, os) = (query.strides, key.strides, value.strides, output.strides)
        let maskRow = mask?.strides[rank - 2] ?? 0
        let (rows, keys, width, valueWidth, scale, zeroEmptyRows) = (rows, keys, width, valueWidth, scale, zeroEmptyRows ? 1 : 0)
        let keysPadded = (keys + 15) / 16 * 16, valuesPadded = (valueWidth + 15) / 16 * 16
        // Per thread: the head's keys transposed and values, padded with zeros (never written:
        // they stay zero), four rows of scores and of outputs.
        let threads = parallel.team?.size ?? 1
        let perThread = width * keysPadded + keys * valuesPadded + 4 * keysPadded + 4 * valuesPadded
        let scratch = FloatBuffer(count: threads * perThread)
        // Blocks of rows per head: enough units for every thread when the heads are fewer.
        let blocks = batches >= threads ? 1 : min((rows + 3) / 4, (threads + batches - 1) / batches)
        let blockRows = ((rows + blocks - 1) / blocks + 3) / 4 * 4
        let units = batches * ((rows + blockRows - 1) / blockRows)
        let unitsPerHead = (rows + blockRows - 1) / blockRows
        let work = batches * rows * keys * (width + valueWidth)
        let (qBase, kBase, vBase, oBase, mBase) = (q.pointer, k.pointer, v.pointer, o.pointer, m?.pointer)
        return {
            _ = scratch
            parallel.split(units, work: work) { part, range in
                let base = scratch.pointer + part * perThread
                let (kt, vp) = (base, base + width * keysPadded)
                let scores = vp + keys * valuesPadded
                let tile = scores + 4 * keysPadded
                var packed = -1
                for unit in range {
                    let (head, block) = (unit / unitsPerHead, unit % unitsPerHead)
                    if head != packed {
                        packed = head
                        VectorLoops.current.attention_pack_head(kt, keysPadded, kBase + kOffsets[head], ks[rank - 2], ks[rank - 1], keys, width,
                                                                vp, valuesPadded, vBase + vOffsets[head], vs[rank - 2], vs[rank - 1], valueWidth)
                    }
                    let first = block * blockRows
                    let count = min(blockRows, rows - first)
                    let maskRows = mBase.map { $0 + mOffsets[head] + first * maskRow }
                    VectorLoops.current.attention_rows(
                        qBase + qOffsets[head] + first * qs[rank - 2], qs[rank - 2], qs[rank - 1], count, width, kt, keys, keysPadded, vp,
                        valueWidth, valuesPadded, maskRows, maskRow, scale, Int32(zeroEmptyRows), scores, tile, oBase + oOffsets[head] + first * os[rank - 2],
                        os[rank - 2], os[rank - 1]
                    )
                }
            }
        }
    }
}
