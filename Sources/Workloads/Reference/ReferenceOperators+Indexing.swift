import Foundation
import ONNXProto

// Slice and Split on any values (a fused QKV projection cut into Q, K and V), reductions (the
// means of a decomposed LayerNorm) and Range. Output shapes come from the import's shape rules,
// so the two cannot disagree.
extension ReferenceOperators {
    static let indexingOperators: Set<String> = [
        "Slice", "Split", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare",
        "ReduceLogSum", "ReduceLogSumExp", "Range",
    ]

    static func indexing(_ node: Onnx_NodeProto, _ inputs: [Tensor?], opset: Int) throws -> [Tensor] {
        guard let x = inputs.first ?? nil else { throw Failure(message: "input 0 is missing") }
        let known = inputs.map { $0?.value }
        do {
            switch node.opType {
            case "Slice":
                return [gather(x, selection: try ONNXOperatorShapes.sliceSelection(node: node, inputs: known, opset: opset))]
            case "Split":
                let axis = try normalize(node.int("axis") ?? 0, x.shape.count)
                var start = 0
                return try ONNXOperatorShapes.split(node: node, inputs: known, opset: opset).map { part in
                    let size = part?.shape[axis] ?? 0
                    var selection = x.shape.map { Array(0..<$0) }
                    selection[axis] = Array(start..<start + size)
                    start += size
                    return gather(x, selection: selection)
                }
            case "Range":
                guard inputs.count == 3, let limit = inputs[1], let delta = inputs[2] else { throw Failure(message: "Range needs start, limit and delta") }
                return [try range(start: x, limit: limit, delta: delta)]
            default:
                guard let shapes = try ONNXOperatorShapes.outputs(of: node, inputs: known, opset: opset), let shape = shapes.first??.shape else {
                    throw Failure(message: "no shape rule")
                }
                guard let axes = try ONNXOperatorShapes.reductionAxes(node, inputs: known, opset: opset) else { return [x] }
                return [reduce(x, to: shape, reduced: Set(axes), op: node.opType)]
            }
        } catch let error as ONNXShapeError {
            throw Failure(message: error.message)
        }
    }

    /// The elements of `x` at the cartesian product of `selection`'s indices per axis.
    static func gather(_ x: Tensor, selection: [[Int]]) -> Tensor {
        let shape = selection.map(\.count)
        let count = shape.reduce(1, *)
        let strides = Tensor.strides(x.shape)
        var data = [Float](repeating: 0, count: count)
        var ints: [Int64]? = x.ints == nil ? nil : Array(repeating: 0, count: count)
        guard count > 0 else { return Tensor(shape: shape, data: []) }
        var position = [Int](repeating: 0, count: shape.count)
        for index in 0..<count {
            var source = 0
            for axis in shape.indices { source += selection[axis][position[axis]] * strides[axis] }
            data[index] = x.data[source]
            ints?[index] = x.ints![source]
            var axis = shape.count - 1
            while axis >= 0 {
                position[axis] += 1
                if position[axis] < shape[axis] { break }
                position[axis] = 0
                axis -= 1
            }
        }
        var result = Tensor(shape: shape, data: data)
        result.ints = ints
        return result
    }

    /// Reduces `x` over the axes where `shape` (keepdims or not) has fewer elements.
    static func reduce(_ x: Tensor, to shape: [Int], reduced: Set<Int>, op: String) -> Tensor {
        let count = shape.reduce(1, *)
        // x's shape with the reduced axes as 1: the output with keepdims, whatever was asked.
        let keptShape = x.shape.indices.map { reduced.contains($0) ? 1 : x.shape[$0] }
        var sums = [Double](repeating: op == "ReduceMax" ? -.infinity : op == "ReduceMin" ? .infinity : op == "ReduceProd" ? 1 : 0, count: count)
        let targets = broadcastOffsets(keptShape, to: x.shape)
        // LogSumExp shifts by each output's largest input, so exp cannot overflow.
        let shifts = op == "ReduceLogSumExp" ? reduce(x, to: shape, reduced: reduced, op: "ReduceMax").data.map(Double.init) : nil
        for index in 0..<x.count {
            let target = targets[index]
            let value = Double(x.data[index])
            switch op {
            case "ReduceMax": sums[target] = max(sums[target], value)
            case "ReduceMin": sums[target] = min(sums[target], value)
            case "ReduceProd": sums[target] *= value
            case "ReduceL1": sums[target] += abs(value)
            case "ReduceL2", "ReduceSumSquare": sums[target] += value * value
            case "ReduceLogSumExp": sums[target] += exp(value - shifts![target])
            default: sums[target] += value
            }
        }
        let perOutput = Double(x.count) / Double(max(count, 1))
        let results: [Double] = switch op {
        case "ReduceMean": sums.map { $0 / perOutput }
        case "ReduceL2": sums.map { $0.squareRoot() }
        case "ReduceLogSum": sums.map { log($0) }
        case "ReduceLogSumExp": zip(sums, shifts!).map { log($0) + $1 }
        default: sums
        }
        var result = Tensor(shape: shape, data: results.map { Float($0) })
        // Integer sums and products stay exact (a shape's element count).
        if let ints = x.ints, ["ReduceSum", "ReduceProd", "ReduceMax", "ReduceMin"].contains(op) {
            var exact = [Int64](repeating: op == "ReduceProd" ? 1 : op == "ReduceMax" ? .min : op == "ReduceMin" ? .max : 0, count: count)
            for index in 0..<x.count {
                let target = targets[index]
                switch op {
                case "ReduceProd": exact[target] = exact[target].multipliedReportingOverflow(by: ints[index]).partialValue
                case "ReduceMax": exact[target] = max(exact[target], ints[index])
                case "ReduceMin": exact[target] = min(exact[target], ints[index])
                default: exact[target] = exact[target].addingReportingOverflow(ints[index]).partialValue
                }
            }
            result.ints = exact
        }
        return result
    }

    static func range(start: Tensor, limit: Tensor, delta: Tensor) throws -> Tensor {
        if let a = start.ints?.first, let b = limit.ints?.first, let d = delta.ints?.first {
            guard d != 0 else { throw Failure(message: "Range with delta 0") }
            let count = try ONNXOperatorShapes.rangeCount(Double(b) - Double(a), delta: Double(d))
            return Tensor(shape: [count], ints: (0..<count).map { a + Int64($0) * d })
        }
        guard let a = start.data.first, let b = limit.data.first, let d = delta.data.first, d != 0 else { throw Failure(message: "Range needs scalar start, limit and a nonzero delta") }
        let count = try ONNXOperatorShapes.rangeCount(Double(b) - Double(a), delta: Double(d))
        return Tensor(shape: [count], data: (0..<count).map { a + Float($0) * d })
    }
}
