import Kernels
import ONNXProto

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
            switch isOwnDomain ? node.opType : "" {
            case "Gemm": try importGemm(node, label: label, weights: &weights)
            case "MatMul": try importMatMul(node, label: label, weights: &weights)
            case "Conv": try importConv(node, label: label, weights: &weights)
            default: notTuned[node.qualifiedOperator, default: 0] += 1
            }
        }
    }

    private func shape(_ name: String) -> [Int] { shapes.values[name]?.shape ?? [] }

    private mutating func importGemm(_ node: Onnx_NodeProto, label: String, weights: inout ONNXWeightCache) throws {
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
        let (final, names) = fuse(after: node.output[0], start: epilogue, isBias: { $0 == [n] || ($0.last == n && $0.dropLast().allSatisfy { $0 == 1 }) })
        let layer = constantB ? Layer.gemm(m: m, n: n, k: k, epilogue: final) : Layer.matmul(m: m, n: n, k: k, epilogue: final)
        instances.append(.init(name: ([label] + names).joined(separator: " + "), layer: layer, weights: layerWeights))
    }

    private mutating func importMatMul(_ node: Onnx_NodeProto, label: String, weights: inout ONNXWeightCache) throws {
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
            let (final, names) = fuse(after: node.output[0], start: .none, isBias: isBias)
            let layer = constantB ? Layer.gemm(m: m, n: n, k: k, epilogue: final) : Layer.matmul(m: m, n: n, k: k, epilogue: final)
            instances.append(.init(name: ([label] + names).joined(separator: " + "), layer: layer, weights: layerWeights))
        } else {
            // A batch of independent products (attention: batch x heads): one layer, run `count` times.
            let batch = try ONNXOperatorShapes.broadcast(Array(pa.dropLast(2)), Array(pb.dropLast(2))).reduce(1, *)
            let (final, names) = fuse(after: node.output[0], start: .none, isBias: isBias)
            let layer = Layer.matmul(m: pa[pa.count - 2], n: n, k: k, epilogue: final)
            instances.append(.init(name: ([label] + names).joined(separator: " + "), layer: layer, count: batch))
        }
    }

    private mutating func importConv(_ node: Onnx_NodeProto, label: String, weights: inout ONNXWeightCache) throws {
        let (x, w) = (shape(node.input[0]), shape(node.input[1]))
        func skip(_ why: String) { unsupported.append("Conv (node \"\(label)\") not imported: \(why)") }
        let window: ONNXWindow
        do { window = try ONNXWindow(node: node, input: x, weight: w) } catch let error as ONNXShapeError {
            throw WorkloadError(path: file.path, message: "node \"\(label)\" (Conv): \(error.message)")
        }
        guard x.count == 4 else { return skip("\(x.count - 2)-D convolution (the conv2d kernel is 2-D)") }
        guard window.group == 1 else { return skip("group = \(window.group) (grouped or depthwise convolutions are not in the conv2d kernel)") }
        guard window.strides[0] == window.strides[1], window.dilations[0] == window.dilations[1],
              window.padsBegin == window.padsEnd, window.padsBegin[0] == window.padsBegin[1] else {
            return skip("strides \(window.strides), pads \(window.padsBegin + window.padsEnd), dilations \(window.dilations) differ between axes or sides (the conv2d kernel takes one stride, pad and dilation)")
        }
        guard file.isInitializer(node.input[1]) else { return skip("its weights \"\(node.input[1])\" are not an initializer") }
        let conv: Conv2DShape
        do {
            conv = try Conv2DShape(batch: x[0], channels: x[1], height: x[2], width: x[3], outChannels: w[0], kernelHeight: w[2], kernelWidth: w[3],
                                   stride: window.strides[0], padding: window.padsBegin[0], dilation: window.dilations[0])
        } catch let error as KernelError {
            throw WorkloadError(path: file.path, message: "node \"\(label)\" (Conv): \(error.message)")
        }
        var epilogue = Epilogue.none
        if let bias = node.input(2) {
            if file.isInitializer(bias) { epilogue.bias = true } else { notes.append("Conv \"\(label)\": its bias is not an initializer and is added outside the kernel") }
        }
        let channels = w[0]
        let (final, names) = fuse(after: node.output[0], start: epilogue, isBias: { $0 == [channels, 1, 1] || $0 == [1, channels, 1, 1] })
        let layerWeights = try weights.weights(node.input[1], transposed: true)
        instances.append(.init(name: ([label] + names).joined(separator: " + "), layer: .conv2d(conv, epilogue: final), weights: layerWeights))
    }

    /// Absorbs what follows `output` into the epilogue while it is fusable: a bias Add of a
    /// constant of a per-column shape, then one Relu or tanh-form Gelu. A value that is a
    /// graph output or read by several nodes ends the chain (it must exist in memory).
    private mutating func fuse(after output: String, start: Epilogue, isBias: ([Int]) -> Bool) -> (Epilogue, [String]) {
        var epilogue = start
        var value = output
        var names: [String] = []
        while !graphOutputs.contains(value), let users = consumers[value], users.count == 1 {
            let index = users[0]
            let next = nodes[index]
            guard next.domain.isEmpty || next.domain == "ai.onnx", let result = next.output.first, epilogue.activation == .none else { break }
            switch next.opType {
            case "Add" where !epilogue.bias && next.input.count == 2:
                let other = next.input[0] == value ? next.input[1] : next.input[0]
                guard other != value, file.isInitializer(other), isBias(shape(other)) else { return (epilogue, names) }
                epilogue.bias = true
            case "Relu":
                epilogue.activation = .relu
            case "Gelu":
                guard next.string("approximate") == "tanh" else {
                    notes.append("Gelu \"\(next.label(index: index))\" (erf form) is not fused: the kernels' GELU is the tanh form")
                    return (epilogue, names)
                }
                epilogue.activation = .gelu
            default:
                return (epilogue, names)
            }
            fused.insert(index)
            names.append(next.label(index: index))
            value = result
        }
        return (epilogue, names)
    }
}
