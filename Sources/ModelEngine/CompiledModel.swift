import Foundation
import Kernels
import ONNXProto
import TunebenchCore
import Workloads

/// A model compiled for one binding of its dimensions: the nodes in order with static shapes,
/// every float value placed in one arena by liveness (`ArenaLayout`), each step a closure over
/// fixed pointers. A pass copies the inputs in, runs the steps and copies the outputs out; it
/// looks nothing up and allocates nothing, except in the nodes run on the reference operators
/// (integer values such as masks, and operators `FastOperators` does not compute), which are
/// counted (`referenceNodes`). Tuned layers run their bound kernels straight on the arena;
/// reshapes are views of their input's memory. One pass at a time.
public final class CompiledModel {
    public let plan: ONNXPlan
    /// Bytes of the arena, and what one buffer per value would take.
    public let arenaBytes: Int
    public let unplannedBytes: Int
    /// Operator → nodes run on the reference operators per pass (they allocate).
    public let referenceNodes: [String: Int]
    /// The attentions run as one fused step (`FusedAttention`): "scores → softmax → context"
    /// node names. Their two matmul layers' configurations are not used.
    public let fusedAttentions: [String]
    /// Allocations a pass makes: one per reference-operator output and per graph output.
    public var allocationsPerPass: Int { referenceNodes.values.reduce(0, +) + plan.file.graph.output.count }

    private let arena: FloatBuffer
    /// Constants and scratch the steps point into, kept alive with them.
    private let buffers: [FloatBuffer]
    private let boxes: BoxStore
    private let steps: [() throws -> Void]
    /// What each step computes, for the profile: "layer" and its operation (gemm, matmul,
    /// conv2d, dwconv2d) for tuned layers, else the operator
    /// (with " (reference)" when the reference operators run it).
    private let stepKinds: [String]
    /// Per step kind, nanoseconds summed over the passes run with `profiling` on.
    public private(set) var profile: [String: UInt64] = [:]
    public var profiling = false
    private let inputCopies: [(name: String, slot: Slot)]
    private let outputReads: [(name: String, shape: [Int], slot: Slot)]
    private let clock: Clock

    /// Where a value lives during a pass.
    enum Slot {
        case arena(offset: Int, count: Int)
        case constant(Tensor, FloatBuffer)
        /// An integer (or otherwise reference-only) value, by index in the box store.
        case boxed(Int)
    }

    final class BoxStore { var values: [Tensor?] = [] }
    final class Clock { var nanoseconds: UInt64 = 0 }

    /// - Parameters:
    ///   - steps: the bound layers (`ModelBinding.bind`), whose nodes and fused epilogue nodes
    ///     they replace.
    ///   - team: the threads the other operators split their work over (the kernels' team);
    ///     nil: the calling thread alone.
    ///   - fuseAttention: run the attentions the graph spells out node by node as one step.
    public init(plan: ONNXPlan, initializers: [String: Tensor], steps: [BoundStep], team: ParallelTeam? = nil, fuseAttention: Bool = true) throws {
        let parallel = FastOperators.Parallel(team: team)
        self.plan = plan
        let boxes = BoxStore(), clock = Clock()
        self.boxes = boxes
        self.clock = clock
        let file = plan.file
        let graph = file.graph
        func fail(_ node: Int, _ message: String) -> FileError {
            FileError(path: file.path, message: "node \"\(graph.node[node].label(index: node))\" (\(graph.node[node].opType)): \(message)")
        }
        // Static shapes, and the values the shape arithmetic makes constant.
        var inference = try ONNXShapeInference(file: file, bindings: Dictionary(plan.dimensions.map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a }))
        for (index, node) in graph.node.enumerated() {
            if let gap = try inference.infer(node, index: index) { throw fail(index, "cannot be compiled: \(gap.reason)") }
        }
        let shapes = inference.values
        let types = ONNXElementTypes.infer(file)
        let graphInputs = Set(plan.inputs.map(\.name))
        let bySource = Dictionary(steps.map { ($0.binding.node, $0) }, uniquingKeysWith: { first, _ in first })
        let fused = Set(steps.flatMap(\.binding.fusedNodes))

        // 1. What each value is: a constant, an alias of another value, boxed, or its own arena value.
        var constants: [String: Tensor] = initializers
        for (name, value) in shapes where constants[name] == nil && !graphInputs.contains(name) {
            if let ints = value.ints { constants[name] = Tensor(shape: value.shape, ints: ints) }
        }
        var alias: [String: String] = [:]
        func root(_ name: String) -> String {
            var current = name
            while let next = alias[current] { current = next }
            return current
        }
        var boxed: Set<String> = []
        for input in plan.inputs where input.isInteger { boxed.insert(input.name) }
        // Who reads each value, and at which input position.
        var readers: [String: [(node: Int, position: Int)]] = [:]
        for (index, node) in graph.node.enumerated() {
            for (position, name) in node.input.enumerated() where !name.isEmpty { readers[name, default: []].append((index, position)) }
        }
        let graphOutputs = Set(graph.output.map(\.name))
        // Masks expanded only for Where's condition: Where broadcasts its condition itself, so
        // it reads the mask before the Expand (the expanded copy, on the reference operators,
        // was a tenth of a BERT encoder's pass, measured). Expanded name → the mask's name.
        var expandedMasks: [String: String] = [:]
        let attentions = fuseAttention
            ? FusedAttention.find(graph: graph, shapes: shapes, constants: constants, isFloat: { types[$0].map(ONNXElementTypes.isFloat) ?? true },
                                  steps: steps, opset: file.opset)
            : []
        let attentionNodes = Set(attentions.flatMap(\.nodes))
        let attentionAt = Dictionary(attentions.map { ($0.anchor, $0) }, uniquingKeysWith: { first, _ in first })
        fusedAttentions = attentions.map(\.description)
        enum Kind { case step(BoundStep), attention(FusedAttention), alias, fast(Onnx_NodeProto), reference(Onnx_NodeProto) }
        var order: [(node: Int, kind: Kind)] = []
        let reshaping: Set<String> = ["Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"]
        for (index, node) in graph.node.enumerated() where !fused.contains(index) {
            if attentionNodes.contains(index) {
                if let attention = attentionAt[index] { order.append((index, .attention(attention))) }
                continue
            }
            let outputs = node.output.filter { !$0.isEmpty }
            if outputs.allSatisfy({ constants[$0] != nil }) { continue } // shape arithmetic, known
            if let step = bySource[index] {
                order.append((index, .step(step)))
                continue
            }
            let own = node.domain.isEmpty || node.domain == "ai.onnx"
            let floatOutputs = outputs.allSatisfy { types[$0].map(ONNXElementTypes.isFloat) ?? true }
            let inputsInArena = node.input.filter { !$0.isEmpty }.allSatisfy { !boxed.contains(root($0)) }
            // A reshape (or a float-to-float Cast, an Identity) is its input's memory read anew.
            if own, reshaping.contains(node.opType) || node.opType == "Cast", let source = node.input.first, constants[source] == nil,
               !boxed.contains(root(source)), floatOutputs, outputs.count == 1, outputs[0] == node.output[0] {
                alias[outputs[0]] = source
                order.append((index, .alias))
                continue
            }
            if own, node.opType == "Expand", outputs.count == 1, !floatOutputs, !graphOutputs.contains(outputs[0]),
               let source = node.input.first, constants[source] == nil, boxed.contains(root(source)),
               let users = readers[outputs[0]], users.allSatisfy({ graph.node[$0.node].opType == "Where" && $0.position == 0 && !fused.contains($0.node) }) {
                alias[outputs[0]] = source
                expandedMasks[outputs[0]] = source
                boxed.insert(outputs[0])
                order.append((index, .alias))
                continue
            }
            // Where picks floats by a mask: its condition may be an integer value (boxed).
            let maskSelect = own && node.opType == "Where" && floatOutputs && node.input.count == 3
                && node.input.dropFirst().allSatisfy { !boxed.contains(root($0)) }
            // Gather picks rows of floats (an embedding table) by integer ids, boxed too.
            let lookup = own && node.opType == "Gather" && floatOutputs && node.input.count == 2 && !boxed.contains(root(node.input[0]))
            if own, floatOutputs, inputsInArena || maskSelect || lookup, outputs.count == 1 || node.opType == "Split" {
                order.append((index, .fast(node)))
            } else {
                order.append((index, .reference(node)))
            }
            if !floatOutputs { boxed.formUnion(outputs) }
        }

        // 2. Lifetimes of the arena values (by alias root), then their offsets.
        var first: [String: Int] = [:], last: [String: Int] = [:]
        for name in graphInputs where !boxed.contains(name) { first[name] = -1; last[name] = -1 }
        for (position, entry) in order.enumerated() {
            let node = graph.node[entry.node]
            var reads = node.input.filter { !$0.isEmpty }
            var writes = node.output.filter { !$0.isEmpty }
            switch entry.kind {
            case .step(let step):
                // A layer reads its A and, for a product of two activations, its B.
                reads = Array(node.input.prefix(2))
                writes = [step.binding.output]
            case .attention(let attention):
                reads = [attention.query, attention.key, attention.value].map(\.name) + (attention.mask.map { [$0.name] } ?? [])
                writes = [attention.output.name]
            default: break
            }
            for name in reads where constants[name] == nil {
                let r = root(name)
                last[r] = max(last[r] ?? position, position)
            }
            for name in writes where constants[name] == nil && !boxed.contains(name) {
                let r = root(name)
                if first[r] == nil { first[r] = position }
                last[r] = max(last[r] ?? position, position)
            }
        }
        for name in graphOutputs where constants[name] == nil && !boxed.contains(root(name)) { last[root(name)] = order.count }
        let names = first.keys.sorted()
        let items = names.map { ArenaLayout.Item(size: shapes[$0]?.count ?? 0, first: first[$0]!, last: last[$0] ?? first[$0]!) }
        let (offsets, total) = ArenaLayout.place(items)
        let arena = FloatBuffer(count: total)
        self.arena = arena
        arenaBytes = total * 4
        unplannedBytes = items.reduce(0) { $0 + $1.size } * 4
        var slots: [String: Slot] = [:]
        for (index, name) in names.enumerated() { slots[name] = .arena(offset: offsets[index], count: items[index].size) }
        var boxIndex: [String: Int] = [:]
        func boxSlot(_ name: String) -> Int {
            if let known = boxIndex[name] { return known }
            boxIndex[name] = boxes.values.count
            boxes.values.append(nil)
            return boxIndex[name]!
        }
        var constantBuffers: [String: FloatBuffer] = [:]
        var buffers: [FloatBuffer] = []
        func slot(_ name: String) -> Slot {
            if let tensor = constants[name] {
                if constantBuffers[name] == nil {
                    let buffer = FloatBuffer(count: tensor.count, zeroed: false)
                    tensor.data.withUnsafeBufferPointer { buffer.pointer.update(from: $0.baseAddress!, count: tensor.count) }
                    constantBuffers[name] = buffer
                    buffers.append(buffer)
                }
                return .constant(tensor, constantBuffers[name]!)
            }
            let r = root(name)
            if boxed.contains(r) { return .boxed(boxSlot(r)) } // an expanded mask reads its source's box
            if boxed.contains(name) { return .boxed(boxSlot(name)) }
            return slots[r] ?? .boxed(boxSlot(name))
        }
        let base = arena.pointer
        func operand(_ name: String) -> Operand? {
            guard let shape = shapes[name]?.shape else { return nil }
            switch slot(name) {
            case .arena(let offset, _): return Operand(shape: shape, pointer: base + offset)
            case .constant(_, let buffer): return Operand(shape: shape, pointer: buffer.pointer)
            case .boxed: return nil
            }
        }

        // 3. The steps.
        var referenceNodes: [String: Int] = [:]
        var steps: [() throws -> Void] = []
        var kinds: [String] = []
        for entry in order {
            let node = graph.node[entry.node]
            switch entry.kind {
            case .alias:
                continue
            case .step(let step):
                steps.append(try Self.layerStep(step, node: node, operand: operand, buffers: &buffers, clock: clock, fail: { fail(entry.node, $0) }))
                kinds.append("layer " + step.binding.layer.operation.rawValue)
            case .attention(let attention):
                guard let run = attention.step(operand: operand, parallel: parallel) else {
                    throw fail(entry.node, "the fused attention \(attention.description) reads or writes a value that is not a float value in memory")
                }
                steps.append(run)
                kinds.append("attention (fused)")
            case .fast(let proto):
                let ins = proto.input.map { $0.isEmpty ? nil : operand($0) }
                if proto.opType == "Where", let out = operand(proto.output[0]), let x = ins[1], let y = ins[2],
                   let condition = shapes[expandedMasks[proto.input[0]] ?? proto.input[0]]?.shape, let run = Self.select(slot(proto.input[0]), condition, x, y, out, base: base, boxes: boxes) {
                    steps.append(run)
                    kinds.append(proto.opType)
                    continue
                }
                if proto.opType == "Gather", let out = operand(proto.output[0]), let table = ins[0], let indices = shapes[proto.input[1]]?.shape,
                   let run = Self.gather(proto, table, ids: slot(proto.input[1]), count: indices.reduce(1, *), out, base: base, boxes: boxes,
                                         fail: { fail(entry.node, $0) }) {
                    steps.append(run)
                    kinds.append(proto.opType)
                    continue
                }
                if proto.opType == "Split" || proto.opType == "Slice", let run = Self.indexing(proto, ins, outputs: proto.output.map { operand($0) }, known: shapes, opset: file.opset, parallel: parallel) {
                    steps.append(run)
                    kinds.append(proto.opType)
                    continue
                }
                if let out = proto.output.first.flatMap(operand), let run = FastOperators.make(proto, inputs: ins, output: out, opset: file.opset, parallel: parallel) {
                    steps.append(run)
                    kinds.append(proto.opType)
                    continue
                }
                fallthrough
            case .reference:
                referenceNodes[node.opType, default: 0] += 1
                kinds.append(node.opType + " (reference)")
                let reads = node.input.map { name in name.isEmpty ? nil : (slot(name), shapes[name]?.shape ?? []) }
                let writes = node.output.map { $0.isEmpty ? nil : slot($0) }
                let label = node.label(index: entry.node)
                let opset = file.opset
                let path = file.path
                steps.append {
                    let arguments: [Tensor?] = reads.map { read in read.flatMap { Self.tensor($0.0, shape: $0.1, base: base, boxes: boxes) } }
                    let results: [Tensor]
                    do { results = try ReferenceOperators.evaluate(node, arguments, opset: opset) } catch let failure as ReferenceOperators.Failure {
                        throw FileError(path: path, message: "node \"\(label)\" (\(node.opType)): \(failure.message)")
                    }
                    for (slot, value) in zip(writes, results) {
                        switch slot {
                        case .arena(let offset, let count)?:
                            value.data.withUnsafeBufferPointer { (base + offset).update(from: $0.baseAddress!, count: min(count, value.count)) }
                        case .boxed(let index)?: boxes.values[index] = value
                        default: break
                        }
                    }
                }
            }
        }
        self.referenceNodes = referenceNodes
        self.steps = steps
        stepKinds = kinds
        inputCopies = plan.inputs.map { ($0.name, slot($0.name)) }
        outputReads = try graph.output.map { output in
            guard let shape = shapes[output.name]?.shape else { throw FileError(path: file.path, message: "graph output \"\(output.name)\" has no known shape") }
            return (output.name, shape, slot(output.name))
        }
        self.buffers = buffers
    }

    /// The value in `slot` as a tensor (a copy, for arena values) of its static `shape`.
    static func tensor(_ slot: Slot, shape: [Int], base: UnsafeMutablePointer<Float>, boxes: BoxStore) -> Tensor? {
        switch slot {
        case .arena(let offset, _):
            Tensor(shape: shape, data: Array(UnsafeBufferPointer(start: base + offset, count: shape.reduce(1, *))))
        case .constant(let tensor, _): tensor
        case .boxed(let index): boxes.values[index]
        }
    }

    /// One forward pass: the graph outputs in order, and the seconds spent in the tuned layers.
    public func run(_ inputs: [String: Tensor]) throws -> (outputs: [Tensor], layerSeconds: Double) {
        let base = arena.pointer
        for (name, slot) in inputCopies {
            guard let value = inputs[name] else { throw FileError(path: plan.file.path, message: "no value for input \"\(name)\"") }
            switch slot {
            case .arena(let offset, let count):
                guard value.count == count else { throw FileError(path: plan.file.path, message: "input \"\(name)\" has \(value.count) values, the model takes \(count)") }
                value.data.withUnsafeBufferPointer { (base + offset).update(from: $0.baseAddress!, count: count) }
            case .boxed(let index): boxes.values[index] = value
            case .constant: break
            }
        }
        clock.nanoseconds = 0
        if profiling {
            for (step, kind) in zip(steps, stepKinds) {
                let start = DispatchTime.now().uptimeNanoseconds
                try step()
                profile[kind, default: 0] += DispatchTime.now().uptimeNanoseconds - start
            }
        } else {
            for step in steps { try step() }
        }
        let outputs = try outputReads.map { name, shape, slot -> Tensor in
            guard var tensor = Self.tensor(slot, shape: shape, base: base, boxes: boxes) else {
                throw FileError(path: plan.file.path, message: "graph output \"\(name)\" was not computed")
            }
            if tensor.shape != shape, tensor.count == shape.reduce(1, *) { tensor.shape = shape }
            return tensor
        }
        return (outputs, Double(clock.nanoseconds) / 1e9)
    }
}
