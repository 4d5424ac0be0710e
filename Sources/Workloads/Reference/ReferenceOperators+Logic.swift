import ONNXProto

// Comparisons, boolean logic and Where: how exporters build attention masks
// (`Equal(mask, 0)` → `Where(…, -inf, 0)`, or `(1 - mask) * -10000` after a Cast). Booleans are
// integer tensors of 0 and 1, so Cast, Where and arithmetic read them as numbers.
extension ReferenceOperators {
    static let logicOperators: Set<String> = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "Where"]

    static func logic(_ node: Onnx_NodeProto, _ inputs: [Tensor?]) throws -> Tensor {
        func input(_ index: Int) throws -> Tensor {
            guard index < inputs.count, let value = inputs[index] else { throw Failure(message: "input \(index) is missing") }
            return value
        }
        switch node.opType {
        case "Not":
            let x = try input(0)
            return Tensor(shape: x.shape, ints: x.data.map { $0 == 0 ? 1 : 0 })
        case "Where":
            return try select(try input(0), try input(1), try input(2))
        default:
            let (a, b) = (try input(0), try input(1))
            // Integer operands compare as integers (token ids beyond 2^24 stay exact).
            let compare: (Double, Double) -> Bool = switch node.opType {
            case "Equal": (==)
            case "Less": (<)
            case "Greater": (>)
            case "LessOrEqual": (<=)
            case "GreaterOrEqual": (>=)
            case "And": { $0 != 0 && $1 != 0 }
            case "Or": { $0 != 0 || $1 != 0 }
            default: { ($0 != 0) != ($1 != 0) }
            }
            let shape = try broadcastShape(a.shape, b.shape)
            let (left, right) = (a.ints.map { $0.map(Double.init) } ?? a.data.map(Double.init), b.ints.map { $0.map(Double.init) } ?? b.data.map(Double.init))
            let values = try broadcastIndices(shape, a.shape, b.shape).map { i, j in compare(left[i], right[j]) ? Int64(1) : 0 }
            return Tensor(shape: shape, ints: values)
        }
    }

    /// Where(condition, x, y), all three broadcast; integer when x and y both are.
    static func select(_ condition: Tensor, _ x: Tensor, _ y: Tensor) throws -> Tensor {
        let shape = try broadcastShape(try broadcastShape(condition.shape, x.shape), y.shape)
        let count = shape.reduce(1, *)
        var data = [Float](repeating: 0, count: count)
        var ints: [Int64]? = x.ints != nil && y.ints != nil ? Array(repeating: 0, count: count) : nil
        let (offsetsC, offsetsX, offsetsY) = (broadcastOffsets(condition.shape, to: shape), broadcastOffsets(x.shape, to: shape), broadcastOffsets(y.shape, to: shape))
        let (xData, yData, conditionData) = (x.data, y.data, condition.data)
        for index in 0..<count {
            let takeX = conditionData[offsetsC[index]] != 0
            data[index] = takeX ? xData[offsetsX[index]] : yData[offsetsY[index]]
            if ints != nil { ints![index] = takeX ? x.ints![offsetsX[index]] : y.ints![offsetsY[index]] }
        }
        var result = Tensor(shape: shape, data: data)
        result.ints = ints
        return result
    }

    /// For each element of a broadcast result of `shape`, its index in `a` and in `b`.
    static func broadcastIndices(_ shape: [Int], _ a: [Int], _ b: [Int]) throws -> [(Int, Int)] {
        let count = shape.reduce(1, *)
        if a == shape && b == shape { return (0..<count).map { ($0, $0) } }
        return Array(zip(broadcastOffsets(a, to: shape), broadcastOffsets(b, to: shape)))
    }
}
