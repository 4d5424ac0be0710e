import Foundation
import ONNXProto
import TunebenchCore

/// What is known about one value of a graph: its shape, and its contents when it is a small
/// integer tensor (the shape arithmetic that feeds Reshape, Slice or Expand in exported models)
/// or a small float constant (the scales of Resize and Upsample).
public struct ONNXValue: Equatable, Sendable {
    public var shape: [Int]
    public var ints: [Int64]?
    public var floats: [Float]?

    public init(shape: [Int], ints: [Int64]? = nil, floats: [Float]? = nil) {
        self.shape = shape
        self.ints = ints
        self.floats = floats
    }

    /// The number of elements, Int.max when the product overflows (a hostile shape is then
    /// refused by the size check instead of trapping).
    public var count: Int { shape.saturatingProduct }
}

extension Array where Element == Int {
    /// The product of the elements, Int.max when it overflows.
    var saturatingProduct: Int {
        var product = 1
        for value in self {
            let (result, overflow) = product.multipliedReportingOverflow(by: value)
            if overflow { return .max }
            product = result
        }
        return product
    }
}

/// The shape of every value of a graph, from its inputs with their symbolic dimensions bound
/// (`--dim batch=1`), its initializers and each operator's shape rule. Values produced by an
/// operator without a rule are unknown, with the reason, so that whatever depends on them is
/// reported rather than guessed.
public struct ONNXShapeInference {
    public let file: ONNXFile
    public private(set) var values: [String: ONNXValue] = [:]
    /// Value name → the root cause of its unknown shape, e.g. "unsupported operator TopK (node \"topk\")".
    public private(set) var unknown: [String: String] = [:]
    /// The shapes the model declares for its intermediate values and outputs, by name.
    private let declared: [String: Onnx_ValueInfoProto]
    private let bindings: [String: Int]

    /// Integer initializers up to this many values are decoded for shape arithmetic.
    static let constantLimit = 1024

    public init(file: ONNXFile, bindings: [String: Int]) throws {
        self.file = file
        self.bindings = bindings
        declared = Dictionary((file.graph.valueInfo + file.graph.output).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for tensor in file.graph.initializer {
            try checkSize(tensor.dims.map { Int(clamping: $0) }, of: "initializer \"\(tensor.name)\"")
            var value = ONNXValue(shape: tensor.dims.map { Int($0) })
            if value.count <= Self.constantLimit, let decoded = try? file.tensor(tensor.name) {
                value.ints = decoded.ints
                value.floats = decoded.floats
            }
            values[tensor.name] = value
        }
        try bindInputs(bindings)
    }

    /// The symbolic dimension names of the graph's inputs, in order of appearance.
    public static func symbolicDimensions(of file: ONNXFile) -> [String] {
        var names: [String] = []
        for input in file.graph.input where !file.isInitializer(input.name) {
            for dim in input.type.tensorType.shape.dim {
                if case .dimParam(let name)? = dim.value, !names.contains(name) { names.append(name) }
            }
        }
        return names
    }

    /// Throws unless every name in `names` is a symbolic dimension of the model.
    public static func checkNamesExist(_ names: some Sequence<String>, in file: ONNXFile) throws {
        let symbols = symbolicDimensions(of: file)
        if let extra = names.sorted().first(where: { !symbols.contains($0) }) {
            let known = symbols.isEmpty ? "it has none" : "its symbolic dimensions: \(symbols.joined(separator: ", "))"
            throw FileError(path: file.path, message: "--dim \(extra): the model has no dimension named \"\(extra)\" (\(known))")
        }
    }

    private mutating func bindInputs(_ bindings: [String: Int]) throws {
        try Self.checkNamesExist(bindings.keys, in: file)
        let symbols = Self.symbolicDimensions(of: file)
        let unbound = symbols.filter { bindings[$0] == nil }
        guard unbound.isEmpty else {
            let hint = unbound.map { "--dim \($0)=N" }.joined(separator: " ")
            throw FileError(path: file.path, message: "symbolic dimension\(unbound.count > 1 ? "s" : "") \(unbound.joined(separator: ", ")) not bound: give \(hint)")
        }
        for input in file.graph.input where !file.isInitializer(input.name) {
            guard input.type.tensorType.hasShape else {
                throw FileError(path: file.path, message: "graph input \"\(input.name)\" has no shape")
            }
            let shape = try input.type.tensorType.shape.dim.enumerated().map { axis, dim -> Int in
                switch dim.value {
                case .dimValue(let size)?: return Int(size)
                case .dimParam(let name)?: return bindings[name]!
                case nil:
                    throw FileError(path: file.path, message: "graph input \"\(input.name)\" dimension \(axis) has neither a size nor a name to bind")
                }
            }
            try checkSize(shape, of: "graph input \"\(input.name)\"")
            values[input.name] = ONNXValue(shape: shape)
        }
    }

    /// The largest value a graph may hold: as many fp32 elements as this machine has bytes of
    /// memory. A dimension product beyond it (or one that overflows) is refused before anything
    /// is allocated.
    static let largestValue = Int(clamping: ProcessInfo.processInfo.physicalMemory / 4)

    private func checkSize(_ shape: [Int], of what: String) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw FileError(path: file.path, message: "\(what) would have shape \(shape): a dimension is negative")
        }
        guard shape.saturatingProduct <= Self.largestValue else {
            let gib = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
            throw FileError(path: file.path, message: String(format: "%@ would have shape %@: more elements than fit in this machine's %.0f GiB of memory", what, "\(shape)", gib))
        }
    }

    /// Why a node's outputs are unknown.
    public enum Gap: Equatable, Sendable {
        /// No shape rule for the operator; the text names it and the node.
        case unsupportedOperator(String)
        /// An input's shape is unknown; the text names the input and the root cause.
        case unknownInput(String)

        /// The text, for messages.
        public var reason: String {
            switch self {
            case .unsupportedOperator(let text), .unknownInput(let text): text
            }
        }
    }

    /// Infers the outputs of `node`, the `index`-th of the graph. Returns nil when they are
    /// known, or why not. Throws when the node contradicts its inputs (a broken model).
    @discardableResult
    public mutating func infer(_ node: Onnx_NodeProto, index: Int) throws -> Gap? {
        guard ONNXOperatorShapes.hasRule(node) else {
            let reason = "unsupported operator \(node.qualifiedOperator) (node \"\(node.label(index: index))\")"
            // The exporter's own shape annotations keep the rest of the graph importable.
            if let declared = declaredShapes(of: node) {
                for (name, shape) in zip(node.output, declared) where !name.isEmpty { values[name] = ONNXValue(shape: shape) }
                return .unsupportedOperator(reason + ", its output shapes taken from the model's value_info")
            }
            markUnknown(node, reason: reason)
            return .unsupportedOperator(reason)
        }
        var inputs: [ONNXValue?] = []
        for name in node.input {
            if name.isEmpty { inputs.append(nil); continue }
            if let value = values[name] { inputs.append(value); continue }
            guard let cause = unknown[name] else {
                throw FileError(path: file.path, message: "node \"\(node.label(index: index))\" (\(node.opType)) reads \"\(name)\", which no earlier node, graph input or initializer produces (the graph is broken or not topologically sorted)")
            }
            markUnknown(node, reason: cause)
            return .unknownInput("input \"\(name)\" has an unknown shape: it comes from the \(cause)")
        }
        let outputs: [ONNXValue?]?
        do { outputs = try ONNXOperatorShapes.outputs(of: node, inputs: inputs, opset: file.opset) } catch let error as ONNXShapeError {
            throw FileError(path: file.path, message: "node \"\(node.label(index: index))\" (\(node.opType)): \(error.message)")
        }
        for (name, value) in zip(node.output, Self.foldingIntegers(node, inputs: inputs, outputs: outputs ?? [], opset: file.opset)) where !name.isEmpty {
            if let value { try checkSize(value.shape, of: "output \"\(name)\" of node \"\(node.label(index: index))\" (\(node.opType))") }
            if let value { values[name] = value } else { unknown[name] = "optional output of \(node.opType) (node \"\(node.label(index: index))\"), whose shape is not inferred" }
        }
        return nil
    }

    /// The outputs with the integers the shape rules do not compute themselves (a target shape
    /// through Equal and Where, Max, Mod, Neg, ReduceProd …), from the reference operators, when
    /// every input's integers are known and small. Exporters write such arithmetic for dynamic
    /// axes; once the axes are bound it is constant.
    static func foldingIntegers(_ node: Onnx_NodeProto, inputs: [ONNXValue?], outputs: [ONNXValue?], opset: Int) -> [ONNXValue?] {
        guard outputs.contains(where: { $0 != nil && $0!.ints == nil }), ReferenceOperators.operators.contains(node.opType),
              inputs.contains(where: { $0 != nil }),
              inputs.allSatisfy({ $0 == nil || $0!.ints != nil && $0!.count <= constantLimit }),
              outputs.allSatisfy({ ($0?.count ?? 0) <= constantLimit }),
              let results = try? ReferenceOperators.evaluate(node, inputs.map { $0.map { Tensor(shape: $0.shape, ints: $0.ints!) } }, opset: opset)
        else { return outputs }
        return outputs.enumerated().map { index, output in
            guard var output, output.ints == nil, index < results.count, results[index].shape == output.shape else { return output }
            let result = results[index]
            // Integer operators whose reference computes floats (Neg, Max, Clip …): integral floats are integers.
            output.ints = result.ints ?? (result.data.allSatisfy { $0.isFinite && $0 == $0.rounded() && abs($0) < 9e15 } ? result.data.map { Int64($0) } : nil)
            return output
        }
    }

    /// Every output's shape as the model declares it (value_info or graph outputs), when each
    /// is fully known at this binding; nil otherwise.
    private func declaredShapes(of node: Onnx_NodeProto) -> [[Int]]? {
        var shapes: [[Int]] = []
        for name in node.output where !name.isEmpty {
            guard let info = declared[name], info.type.tensorType.hasShape else { return nil }
            var shape: [Int] = []
            for dim in info.type.tensorType.shape.dim {
                switch dim.value {
                case .dimValue(let size)? where size > 0: shape.append(Int(size))
                case .dimParam(let symbol)?: guard let size = bindings[symbol] else { return nil }; shape.append(size)
                default: return nil
                }
            }
            shapes.append(shape)
        }
        return shapes.isEmpty ? nil : shapes
    }

    private mutating func markUnknown(_ node: Onnx_NodeProto, reason: String) {
        for name in node.output where !name.isEmpty { unknown[name] = reason }
    }
}
