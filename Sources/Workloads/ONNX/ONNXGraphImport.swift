import KernelModel
import ONNXProto
import TunebenchCore

/// One pass over an ONNX graph at one binding of its symbolic dimensions: the layers it runs,
/// with the nodes fused into their epilogues, and what was not imported.
struct ONNXGraphImport {
    static let tunedOperators: Set<String> = ["Gemm", "MatMul", "Conv"]

    let file: ONNXFile
    private var shapes: ONNXShapeInference
    private let nodes: [Onnx_NodeProto]
    /// Value name → the nodes that read it.
    private let consumers: [String: [Int]]
    private let graphOutputs: Set<String>
    /// Nodes absorbed into an earlier layer's epilogue.
    private var fused: Set<Int> = []

    private(set) var instances: [Workload.Instance] = []
    /// Per instance, how it maps onto the graph (for running the model).
    private(set) var bindings: [ONNXLayerBinding] = []
    private(set) var unsupported: [String] = []
    private(set) var notes: [String] = []
    /// Operator → nodes of it that run outside the tuned kernels.
    private(set) var notTuned: [String: Int] = [:]

    init(file: ONNXFile, binding: [(name: String, size: Int)]) throws {
        self.file = file
        shapes = try ONNXShapeInference(file: file, bindings: Dictionary(binding.map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a }))
        nodes = file.graph.node
        var consumers: [String: [Int]] = [:]
        for (index, node) in nodes.enumerated() {
            for input in node.input where !input.isEmpty { consumers[input, default: []].append(index) }
        }
        self.consumers = consumers
        graphOutputs = Set(file.graph.output.map(\.name))
    }

    mutating func run(weights: inout ONNXWeightCache) throws {
        for (index, node) in nodes.enumerated() {
            let gap = try shapes.infer(node, index: index)
            if fused.contains(index) { continue }
            let label = node.label(index: index)
            let isOwnDomain = node.domain.isEmpty || node.domain == "ai.onnx"
            switch gap {
            case .unsupportedOperator(let reason)?:
                unsupported.append("\(reason): skipped")
                continue
            case .unknownInput(let reason)?:
                if isOwnDomain && Self.tunedOperators.contains(node.opType) {
                    unsupported.append("\(node.opType) (node \"\(label)\") not imported: \(reason)")
                }
                continue
            case nil:
                break
            }
            // The importers read inputs 0 and 1 and output 0 (a damaged file dropped a Conv's
            // output: an index out of range, found by the generated hostile inputs).
            if isOwnDomain, Self.tunedOperators.contains(node.opType), node.input.count < 2 || node.output.first?.isEmpty != false {
                throw FileError(path: file.path, message: "node \"\(label)\" (\(node.opType)) needs two inputs and an output; it has \(node.input.count) inputs and \(node.output.count) outputs")
            }
            switch isOwnDomain ? node.opType : "" {
            case "Gemm": try importGemm(node, index: index, label: label, weights: &weights)
            case "MatMul": try importMatMul(node, index: index, label: label, weights: &weights)
            case "Conv": try importConv(node, index: index, label: label, weights: &weights)
            default: notTuned[node.qualifiedOperator, default: 0] += 1
            }
        }
    }

    private func shape(_ name: String) -> [Int] { shapes.values[name]?.shape ?? [] }

    private mutating func importGemm(_ node: Onnx_NodeProto, index: Int, label: String, weights: inout ONNXWeightCache) throws {
        let (a, b) = (shape(node.input[0]), shape(node.input[1]))
        let transA = node.int("transA") ?? 0 == 1
        let transB = node.int("transB") ?? 0 == 1
        let m = transA ? a[1] : a[0]
        let (k, n) = transB ? (b[1], b[0]) : (b[0], b[1])
        var epilogue = Epilogue.none
        if let c = node.input(2) {
            if file.isInitializer(c), [[n], [1, n]].contains(shape(c)), node.float("beta") ?? 1 == 1 {
                epilogue.bias = true
            } else {
                notes.append("Gemm \"\(label)\": its C input \(shape(c)) is added outside the kernel (only a constant per-column bias with beta = 1 is fused)")
            }
        }
        if transA { notes.append("Gemm \"\(label)\": transA = 1, so A is transposed before the kernel (not timed)") }
        let constantB = file.isInitializer(node.input[1])
        let layerWeights = constantB ? try weights.weights(node.input[1], transposed: transB, scale: node.float("alpha") ?? 1) : nil
        let fusion = fuse(after: node.output[0], start: epilogue, isBias: { $0 == [n] || ($0.last == n && $0.dropLast().allSatisfy { $0 == 1 }) })
        let layer = constantB ? Layer.gemm(m: m, n: n, k: k, epilogue: fusion.epilogue) : Layer.matmul(m: m, n: n, k: k, epilogue: fusion.epilogue)
        add(layer, node: index, label: label, fusion: fusion, weights: layerWeights, bias: epilogue.bias ? node.input(2) : nil,
            transposeA: transA, transposeB: !constantB && transB)
    }

    private mutating func importMatMul(_ node: Onnx_NodeProto, index: Int, label: String, weights: inout ONNXWeightCache) throws {
        let (a, b) = (shape(node.input[0]), shape(node.input[1]))
        let pa = a.count == 1 ? [1] + a : a
        let pb = b.count == 1 ? b + [1] : b
        let (k, n) = (pb[pb.count - 2], pb[pb.count - 1])
        let isBias: ([Int]) -> Bool = { $0 == [n] || ($0.last == n && $0.dropLast().allSatisfy { $0 == 1 }) }
        if pb.count == 2 {
            // One B for every row of A: the leading dimensions of A flatten into M.
            let m = pa.dropLast().reduce(1, *)
            let constantB = file.isInitializer(node.input[1])
            let layerWeights = constantB ? try weights.weights(node.input[1], transposed: false) : nil
            let fusion = fuse(after: node.output[0], start: .none, isBias: isBias)
            let layer = constantB ? Layer.gemm(m: m, n: n, k: k, epilogue: fusion.epilogue) : Layer.matmul(m: m, n: n, k: k, epilogue: fusion.epilogue)
            add(layer, node: index, label: label, fusion: fusion, weights: layerWeights, bias: nil)
        } else {
            // A batch of independent products (attention: batch x heads): one layer, run `count` times.
            let batch = try ONNXOperatorShapes.broadcast(Array(pa.dropLast(2)), Array(pb.dropLast(2))).reduce(1, *)
            let fusion = fuse(after: node.output[0], start: .none, isBias: isBias)
            let layer = Layer.matmul(m: pa[pa.count - 2], n: n, k: k, epilogue: fusion.epilogue)
            add(layer, node: index, label: label, fusion: fusion, weights: nil, bias: nil, count: batch)
        }
    }

    private mutating func importConv(_ node: Onnx_NodeProto, index: Int, label: String, weights: inout ONNXWeightCache) throws {
        let (x, w) = (shape(node.input[0]), shape(node.input[1]))
        func skip(_ why: String) { unsupported.append("Conv (node \"\(label)\") not imported: \(why)") }
        let window: ONNXWindow
        do { window = try ONNXWindow(node: node, input: x, weight: w) } catch let error as ONNXShapeError {
            throw FileError(path: file.path, message: "node \"\(label)\" (Conv): \(error.message)")
        }
        guard x.count == 4 || x.count == 3 else { return skip("\(x.count - 2)-D convolution (the conv kernels are 1-D and 2-D)") }
        // A 1-D convolution runs as a 2-D one of height 1 (same memory layout).
        let planar = x.count == 3
        let (height, width) = planar ? (1, x[2]) : (x[2], x[3])
        let (kernelHeight, kernelWidth) = planar ? (1, w[2]) : (w[2], w[3])
        let padsBegin = planar ? [0] + window.padsBegin : window.padsBegin
        let padsEnd = planar ? [0] + window.padsEnd : window.padsEnd
        // Depthwise (one filter per channel, weights [C, 1, R, S]) has its own kernel; other
        // groupings run conv2d's im2col + GEMM once per group.
        let depthwise = window.group > 1 && window.group == x[1] && w[0] == x[1] && w[1] == 1
        guard planar || (window.strides[0] == window.strides[1] && window.dilations[0] == window.dilations[1]) else {
            return skip("strides \(window.strides) or dilations \(window.dilations) differ between axes (the conv kernels take one stride and dilation)")
        }
        // The kernels take one pad for every side (a 1-D convolution none: its height is 1);
        // other pads are added to the input before them.
        let symmetric = padsBegin == padsEnd && padsBegin[0] == padsBegin[1] && (!planar || padsBegin == [0, 0])
        let inputPadding = symmetric ? nil : [padsBegin[0], padsBegin[1], padsEnd[0], padsEnd[1]]
        guard file.isInitializer(node.input[1]) else { return skip("its weights \"\(node.input[1])\" are not an initializer") }
        let conv: Conv2DShape
        do {
            let (paddedHeight, paddedWidth) = inputPadding.map { (height + $0[0] + $0[2], width + $0[1] + $0[3]) } ?? (height, width)
            conv = try Conv2DShape(batch: x[0], channels: x[1], height: paddedHeight, width: paddedWidth, outChannels: w[0], kernelHeight: kernelHeight,
                                   kernelWidth: kernelWidth, stride: window.strides[0], padding: inputPadding == nil ? padsBegin[0] : 0,
                                   dilation: window.dilations[0], groups: depthwise ? 1 : window.group)
        } catch let error as KernelError {
            throw FileError(path: file.path, message: "node \"\(label)\" (Conv): \(error.message)")
        }
        var epilogue = Epilogue.none
        if let bias = node.input(2) {
            if file.isInitializer(bias) { epilogue.bias = true } else { notes.append("Conv \"\(label)\": its bias is not an initializer and is added outside the kernel") }
        }
        let channels = w[0]
        let perChannel = [channels] + Array(repeating: 1, count: x.count - 2)
        let fusion = fuse(after: node.output[0], start: epilogue, isBias: { $0 == perChannel || $0 == [1] + perChannel })
        // conv2d's weights are the GEMM operand [C·R·S, K]; dwconv2d's stay [C, R·S].
        let layerWeights = try weights.weights(node.input[1], transposed: !depthwise)
        let layer = depthwise ? try Layer.depthwise(conv, epilogue: fusion.epilogue) : Layer.conv2d(conv, epilogue: fusion.epilogue)
        if let inputPadding {
            let why = planar ? "a 1-D convolution with pads \(window.padsBegin + window.padsEnd)" : "pads \(window.padsBegin + window.padsEnd) differ between sides"
            notes.append("Conv \"\(label)\": \(why); the input is padded to \(conv.height)x\(conv.width) before the kernel (padding \(inputPadding) as top, left, bottom, right)")
        }
        add(layer, node: index, label: label, fusion: fusion, weights: layerWeights, bias: epilogue.bias ? node.input(2) : nil,
            inputPadding: inputPadding, outputShape: planar ? [x[0], w[0], conv.outWidth] : nil)
    }

    /// What `fuse` absorbed: the epilogue, the nodes, the value the chain ends at, and the bias
    /// initializer an Add contributed.
    struct Fusion {
        var epilogue: Epilogue
        var nodes: [Int] = []
        var names: [String] = []
        var output: String
        var biasFromAdd: String?
    }

    private mutating func add(_ layer: Layer, node: Int, label: String, fusion: Fusion, weights: LayerWeights?, bias: String?,
                              inputPadding: [Int]? = nil, outputShape: [Int]? = nil,
                              count: Int = 1, transposeA: Bool = false, transposeB: Bool = false) {
        let name = ([label] + fusion.names).joined(separator: " + ")
        instances.append(.init(name: name, layer: layer, count: count, weights: weights))
        bindings.append(ONNXLayerBinding(node: node, fusedNodes: fusion.nodes, layer: layer, name: name, output: fusion.output,
                                         bias: bias ?? fusion.biasFromAdd, transposeA: transposeA, transposeB: transposeB, weights: weights,
                                         inputPadding: inputPadding, outputShape: outputShape))
    }

    /// Clip's bounds: inputs from opset 11 on (constants), attributes before; nil when a bound
    /// is not a constant.
    private func clipBounds(_ node: Onnx_NodeProto) -> (Float, Float)? {
        guard file.opset >= 11 else { return (node.float("min") ?? -.infinity, node.float("max") ?? .infinity) }
        func bound(_ index: Int, _ absent: Float) -> Float? {
            guard let name = node.input(index) else { return absent }
            guard let values = (try? file.tensor(name))?.floats, values.count == 1 else { return nil }
            return values[0]
        }
        guard let low = bound(1, -.infinity), let high = bound(2, .infinity) else { return nil }
        return (low, high)
    }

    /// Absorbs what follows `output` into the epilogue while it is fusable: a bias Add of a
    /// constant of a per-column shape, then one Relu, Gelu (either form) or Clip to [0, 6]. A value that is a
    /// graph output or read by several nodes ends the chain (it must exist in memory).
    private mutating func fuse(after output: String, start: Epilogue, isBias: ([Int]) -> Bool) -> Fusion {
        var fusion = Fusion(epilogue: start, output: output)
        while !graphOutputs.contains(fusion.output), let users = consumers[fusion.output], users.count == 1 {
            let index = users[0]
            let next = nodes[index]
            guard next.domain.isEmpty || next.domain == "ai.onnx", let result = next.output.first, fusion.epilogue.activation == .none else { break }
            switch next.opType {
            case "Add" where !fusion.epilogue.bias && next.input.count == 2:
                let other = next.input[0] == fusion.output ? next.input[1] : next.input[0]
                guard other != fusion.output, file.isInitializer(other), isBias(shape(other)) else { return fusion }
                fusion.epilogue.bias = true
                fusion.biasFromAdd = other
            case "Relu":
                fusion.epilogue.activation = .relu
            case "Gelu":
                fusion.epilogue.activation = next.string("approximate") == "tanh" ? .gelu : .geluErf
            case "Clip" where clipBounds(next).map { $0 == (0, 6) } == true:
                fusion.epilogue.activation = .relu6
            default:
                return fusion
            }
            fused.insert(index)
            fusion.nodes.append(index)
            fusion.names.append(next.label(index: index))
            fusion.output = result
        }
        return fusion
    }
}
