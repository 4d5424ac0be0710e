import ONNXProto

/// Rewrites of subgraphs that exporters write operator by operator into the one operator they
/// compute, so that the import sees (and the kernels can fuse) what the model means:
/// - exact GELU, `x · 0.5 · (1 + erf(x / √2))` (PyTorch and TensorFlow exports before opset
///   20), becomes `Gelu`;
/// - LayerNorm written as `ReduceMean`, `Sub`, `Pow`, `ReduceMean`, `Add ε`, `Sqrt`, `Div`
///   (then `Mul γ`, `Add β`), over the last axis, becomes `LayerNormalization`;
/// - RMSNorm written as `Pow 2`, `ReduceMean`, `Add ε`, `Sqrt`, then `Reciprocal` and `Mul`
///   or `Div` (then `Mul γ`), over the last axis (the Llama family through torch.onnx),
///   becomes `RMSNormalization`;
/// - a `Reshape` of a value only a `Reshape`, `Flatten`, `Squeeze` or `Unsqueeze` made reads
///   that one's input instead (the first reshape is a no-op);
/// - a zero constant `Pad` of the spatial axes that only a `Conv` reads becomes the Conv's pads
///   (TensorFlow exports pad explicitly).
/// Each match requires every intermediate value to be read only inside the pattern and none to
/// be a graph output, so nothing else can observe what was removed.
struct ONNXGraphPatterns {
    private(set) var nodes: [Onnx_NodeProto]
    /// A constant's values by name (initializers, after folding).
    let constant: (String) -> [Float]?
    let graphOutputs: Set<String>
    private(set) var gelus = 0
    private(set) var layerNorms = 0
    private(set) var rmsNorms = 0
    private(set) var reshapes = 0
    private(set) var padsFolded = 0
    /// The model's opset (Pad's pads are an attribute before 11).
    let opset: Int
    /// Initializers the rewrites need (LayerNormalization's unit scale when γ is absent).
    private(set) var newInitializers: [String: Tensor] = [:]

    private var producer: [String: Int] = [:]
    private var readers: [String: [Int]] = [:]

    init(nodes: [Onnx_NodeProto], constant: @escaping (String) -> [Float]?, graphOutputs: Set<String>, opset: Int) {
        self.nodes = nodes
        self.opset = opset
        self.constant = constant
        self.graphOutputs = graphOutputs
    }

    mutating func apply() {
        index()
        var replaced: [Int: Onnx_NodeProto] = [:]
        var removed: Set<Int> = []
        for (index, node) in nodes.enumerated() where Self.isOwn(node) && !removed.contains(index) {
            let match: (nodes: [Int], replacement: Onnx_NodeProto)? = switch node.opType {
            case "Erf": matchGelu(erf: index)
            case "ReduceMean": matchLayerNorm(mean: index) ?? matchRMSNorm(mean: index)
            default: nil
            }
            guard let match, match.nodes.allSatisfy({ !removed.contains($0) }) else { continue }
            let last = match.nodes.max()!
            removed.formUnion(match.nodes)
            removed.remove(last)
            replaced[last] = match.replacement
            switch match.replacement.opType {
            case "Gelu": gelus += 1
            case "RMSNormalization": rmsNorms += 1
            default: layerNorms += 1
            }
        }
        nodes = nodes.indices.filter { !removed.contains($0) }.map { replaced[$0] ?? nodes[$0] }
        index()
        skipReshapes()
        index()
        foldPads()
    }

    private static func isOwn(_ node: Onnx_NodeProto) -> Bool { node.domain.isEmpty || node.domain == "ai.onnx" }

    private mutating func index() {
        producer = [:]
        readers = [:]
        for (index, node) in nodes.enumerated() {
            for output in node.output where !output.isEmpty { producer[output] = index }
            for input in node.input where !input.isEmpty { readers[input, default: []].append(index) }
        }
    }

    /// The node that alone reads `value` (and `value` is not a graph output), when it is `op`.
    private func onlyReader(of value: String, _ ops: Set<String>) -> Int? {
        guard !graphOutputs.contains(value), let users = readers[value], Set(users).count == 1,
              ops.contains(nodes[users[0]].opType), Self.isOwn(nodes[users[0]]) else { return nil }
        return users[0]
    }

    /// The other input of a two-input node, given one.
    private func other(_ node: Onnx_NodeProto, than value: String) -> String? {
        guard node.input.count == 2 else { return nil }
        return node.input[0] == value ? node.input[1] : node.input[1] == value ? node.input[0] : nil
    }

    private func isScalar(_ name: String?, _ value: Float, tolerance: Float = 1e-6) -> Bool {
        guard let name, let values = constant(name), values.count == 1 else { return false }
        return abs(values[0] - value) <= tolerance * max(1, abs(value))
    }

    // MARK: - GELU

    private func matchGelu(erf: Int) -> (nodes: [Int], replacement: Onnx_NodeProto)? {
        let erfNode = nodes[erf]
        // x / √2 or x · (1/√2), read only by the Erf.
        guard let scaled = erfNode.input.first, let scaling = producer[scaled], Self.isOwn(nodes[scaling]),
              onlyReader(of: scaled, ["Erf"]) == erf else { return nil }
        let scaleNode = nodes[scaling]
        guard scaleNode.input.count == 2 else { return nil }
        let x: String
        if scaleNode.opType == "Div", isScalar(scaleNode.input[1], Float(2).squareRoot(), tolerance: 1e-4) {
            x = scaleNode.input[0]
        } else if scaleNode.opType == "Mul", let index = [0, 1].first(where: { isScalar(scaleNode.input[1 - $0], Float(0.5).squareRoot(), tolerance: 1e-4) }) {
            x = scaleNode.input[index]
        } else {
            return nil
        }
        // 1 + erf(·)
        guard let erfOut = erfNode.output.first, let plus = onlyReader(of: erfOut, ["Add"]), isScalar(other(nodes[plus], than: erfOut), 1),
              let sum = nodes[plus].output.first, let product = onlyReader(of: sum, ["Mul"]), let factor = other(nodes[product], than: sum),
              let productOut = nodes[product].output.first else { return nil }
        // x · (1 + erf) · 0.5, or (x · 0.5) · (1 + erf).
        if factor == x, let half = onlyReader(of: productOut, ["Mul"]), isScalar(other(nodes[half], than: productOut), 0.5) {
            return ([scaling, erf, plus, product, half], Self.gelu(x, output: nodes[half].output[0], name: nodes[half].name))
        }
        if let halving = producer[factor], nodes[halving].opType == "Mul", Self.isOwn(nodes[halving]), onlyReader(of: factor, ["Mul"]) == product,
           let halfInput = other(nodes[halving], than: x), isScalar(halfInput, 0.5) {
            return ([halving, scaling, erf, plus, product], Self.gelu(x, output: productOut, name: nodes[product].name))
        }
        return nil
    }

    private static func gelu(_ x: String, output: String, name: String) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = "Gelu"
        node.name = name.isEmpty ? "gelu(\(x))" : name
        node.input = [x]
        node.output = [output]
        return node
    }

    // MARK: - LayerNorm

    /// The reduction's axes when it is over the last axis only, keeping dimensions.
    private func isLastAxisMean(_ node: Onnx_NodeProto) -> Bool {
        guard node.opType == "ReduceMean", node.int("keepdims") ?? 1 == 1 else { return false }
        let axes: [Int]? = node.input.count > 1 ? constant(node.input[1]).map { $0.map { Int($0) } } : node.ints("axes")
        return axes == [-1]
    }

    private mutating func matchLayerNorm(mean: Int) -> (nodes: [Int], replacement: Onnx_NodeProto)? {
        let meanNode = nodes[mean]
        guard isLastAxisMean(meanNode), let x = meanNode.input.first, let meanOut = meanNode.output.first,
              let sub = onlyReader(of: meanOut, ["Sub"]), nodes[sub].input == [x, meanOut], let centered = nodes[sub].output.first,
              !graphOutputs.contains(centered), let users = readers[centered].map({ Array(Set($0)) }), users.count == 2 else { return nil }
        // (x − μ)² as Pow(·, 2) or Mul(·, ·), and the Div that reads x − μ too.
        guard let square = users.first(where: { ["Pow", "Mul"].contains(nodes[$0].opType) }),
              let divide = users.first(where: { nodes[$0].opType == "Div" && nodes[$0].input.first == centered }) else { return nil }
        let squareNode = nodes[square]
        guard squareNode.opType == "Pow" ? squareNode.input.first == centered && isScalar(squareNode.input.last, 2) : squareNode.input == [centered, centered],
              let squared = squareNode.output.first, let variance = onlyReader(of: squared, ["ReduceMean"]), isLastAxisMean(nodes[variance]),
              let varianceOut = nodes[variance].output.first, let plus = onlyReader(of: varianceOut, ["Add"]),
              let epsilonName = other(nodes[plus], than: varianceOut), let epsilon = constant(epsilonName), epsilon.count == 1,
              let root = onlyReader(of: nodes[plus].output[0], ["Sqrt"]), onlyReader(of: nodes[root].output[0], ["Div"]) == divide,
              nodes[divide].input == [centered, nodes[root].output[0]] else { return nil }
        var matched = [mean, sub, square, variance, plus, root, divide]
        var output = nodes[divide].output[0]
        var scale: String?
        var bias: String?
        if let times = onlyReader(of: output, ["Mul"]), let gamma = other(nodes[times], than: output), constant(gamma) != nil {
            matched.append(times)
            scale = gamma
            output = nodes[times].output[0]
            if let plusBeta = onlyReader(of: output, ["Add"]), let beta = other(nodes[plusBeta], than: output), constant(beta) != nil {
                matched.append(plusBeta)
                bias = beta
                output = nodes[plusBeta].output[0]
            }
        }
        if scale == nil {
            scale = "layernorm.unit_scale"
            newInitializers[scale!] = Tensor(shape: [1], data: [1])
        }
        return (matched, Self.normalization("LayerNormalization", [x, scale!] + (bias.map { [$0] } ?? []), output: output, epsilon: epsilon[0],
                                       name: nodes[matched.max()!].name.isEmpty ? "layernorm(\(x))" : nodes[matched.max()!].name))
    }

    /// A normalization over the last axis, the node that replaces a written-out one.
    private static func normalization(_ op: String, _ inputs: [String], output: String, epsilon: Float, name: String) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = name
        node.input = inputs
        node.output = [output]
        node.attribute = [.int("axis", -1), .float("epsilon", epsilon)]
        return node
    }

    // MARK: - RMSNorm

    /// x / √(mean(x²) + ε) · γ, from the mean of the squares.
    private mutating func matchRMSNorm(mean: Int) -> (nodes: [Int], replacement: Onnx_NodeProto)? {
        let meanNode = nodes[mean]
        guard isLastAxisMean(meanNode), let squared = meanNode.input.first, let square = producer[squared], Self.isOwn(nodes[square]),
              onlyReader(of: squared, ["ReduceMean"]) == mean else { return nil }
        let squareNode = nodes[square]
        let x: String
        if squareNode.opType == "Pow", squareNode.input.count == 2, isScalar(squareNode.input[1], 2) {
            x = squareNode.input[0]
        } else if squareNode.opType == "Mul", squareNode.input.count == 2, squareNode.input[0] == squareNode.input[1] {
            x = squareNode.input[0]
        } else {
            return nil
        }
        guard let meanOut = meanNode.output.first, let plus = onlyReader(of: meanOut, ["Add"]),
              let epsilonName = other(nodes[plus], than: meanOut), let epsilon = constant(epsilonName), epsilon.count == 1,
              let root = onlyReader(of: nodes[plus].output[0], ["Sqrt"]) else { return nil }
        let rootOut = nodes[root].output[0]
        var matched = [square, mean, plus, root]
        var output: String
        // x / √…, or x · (1 / √…) with the inverse as Reciprocal or Div(1, ·).
        if let divide = onlyReader(of: rootOut, ["Div"]), nodes[divide].input == [x, rootOut] {
            matched.append(divide)
            output = nodes[divide].output[0]
        } else if let inverse = onlyReader(of: rootOut, ["Reciprocal", "Div"]),
                  nodes[inverse].opType == "Reciprocal" || nodes[inverse].input.count == 2 && isScalar(nodes[inverse].input[0], 1) && nodes[inverse].input[1] == rootOut,
                  let inverseOut = nodes[inverse].output.first, let times = onlyReader(of: inverseOut, ["Mul"]), other(nodes[times], than: inverseOut) == x {
            matched += [inverse, times]
            output = nodes[times].output[0]
        } else {
            return nil
        }
        var scale: String
        if let times = onlyReader(of: output, ["Mul"]), let gamma = other(nodes[times], than: output), constant(gamma) != nil {
            matched.append(times)
            scale = gamma
            output = nodes[times].output[0]
        } else {
            scale = "rmsnorm.unit_scale"
            newInitializers[scale] = Tensor(shape: [1], data: [1])
        }
        return (matched, Self.normalization("RMSNormalization", [x, scale], output: output, epsilon: epsilon[0],
                                            name: nodes[matched.max()!].name.isEmpty ? "rmsnorm(\(x))" : nodes[matched.max()!].name))
    }

    // MARK: - Pad into Conv

    private mutating func foldPads() {
        var removed: Set<Int> = []
        for index in nodes.indices where Self.isOwn(nodes[index]) && nodes[index].opType == "Pad" {
            let pad = nodes[index]
            guard pad.string("mode") ?? "constant" == "constant", let output = pad.output.first, let conv = onlyReader(of: output, ["Conv"]),
                  nodes[conv].input.first == output, nodes[conv].string("auto_pad") ?? "NOTSET" == "NOTSET" else { continue }
            let pads: [Int]?
            if opset < 11 {
                guard pad.float("value") ?? 0 == 0 else { continue }
                pads = pad.ints("pads") ?? pad.ints("paddings")
            } else {
                // No axes input (opset 18) and a zero (or absent) constant value.
                guard pad.input(3) == nil, pad.input(2).map({ constant($0) == [0] }) ?? true else { continue }
                pads = pad.input(1).flatMap(constant).map { $0.map { Int($0) } }
            }
            guard let pads, pads.count >= 6, pads.count % 2 == 0 else { continue }
            let rank = pads.count / 2
            // Batch and channel axes unpadded; the spatial ones go to the Conv.
            guard pads[0] == 0, pads[1] == 0, pads[rank] == 0, pads[rank + 1] == 0, pads.allSatisfy({ $0 >= 0 }) else { continue }
            let spatial = rank - 2
            let existing = nodes[conv].ints("pads") ?? Array(repeating: 0, count: 2 * spatial)
            guard existing.count == 2 * spatial else { continue }
            let combined = (0..<spatial).map { existing[$0] + pads[2 + $0] } + (0..<spatial).map { existing[spatial + $0] + pads[rank + 2 + $0] }
            nodes[conv].attribute.removeAll { $0.name == "pads" || $0.name == "auto_pad" }
            nodes[conv].attribute.append(.ints("pads", combined))
            nodes[conv].input[0] = pad.input[0]
            removed.insert(index)
            padsFolded += 1
        }
        nodes = nodes.indices.filter { !removed.contains($0) }.map { nodes[$0] }
    }

    // MARK: - Reshape after reshape

    private mutating func skipReshapes() {
        let reshaping: Set<String> = ["Reshape", "Flatten", "Squeeze", "Unsqueeze"]
        var removed: Set<Int> = []
        for index in nodes.indices where Self.isOwn(nodes[index]) && nodes[index].opType == "Reshape" && nodes[index].input.count == 2 {
            let input = nodes[index].input[0]
            // The new target must not copy a dimension (0) from the value it no longer reads.
            guard let target = constant(nodes[index].input[1]), !target.contains(0), let first = producer[input], !removed.contains(first),
                  Self.isOwn(nodes[first]), reshaping.contains(nodes[first].opType), onlyReader(of: input, ["Reshape"]) == index else { continue }
            nodes[index].input[0] = nodes[first].input[0]
            removed.insert(first)
            reshapes += 1
        }
        nodes = nodes.indices.filter { !removed.contains($0) }.map { nodes[$0] }
    }
}
