import Dispatch
import Kernels
import ONNXProto
import TunebenchCore
import Workloads

/// A tuned layer ready to run: a kernel configuration bound to the model's weights (or, for a
/// product of two activations, to nothing: B arrives per call).
public struct BoundStep {
    enum Kernel {
        case layer(any BoundLayer)
        case product(any BoundProduct, m: Int, n: Int, k: Int)
    }

    var binding: ONNXLayerBinding
    var kernel: Kernel
}

/// Runs an ONNX plan's graph: the nodes of each bound layer through its kernel (the node and
/// its fused epilogue in one call), every other node through the reference operators. With no
/// bound steps it is the reference path.
public struct ModelExecutor {
    let plan: ONNXPlan
    let initializers: [String: Tensor]
    let steps: [Int: BoundStep]
    let fused: Set<Int>

    public init(plan: ONNXPlan, initializers: [String: Tensor], steps: [BoundStep]) {
        self.plan = plan
        self.initializers = initializers
        self.steps = Dictionary(uniqueKeysWithValues: steps.map { ($0.binding.node, $0) })
        fused = Set(steps.flatMap(\.binding.fusedNodes))
    }

    /// One forward pass: the graph outputs in order, and the seconds spent in the bound layers.
    public func run(_ inputs: [String: Tensor]) throws -> (outputs: [Tensor], layerSeconds: Double) {
        var values = initializers.merging(inputs) { _, given in given }
        var layerNanoseconds: UInt64 = 0
        for (index, node) in plan.file.graph.node.enumerated() {
            if fused.contains(index) { continue }
            let arguments = node.input.map { $0.isEmpty ? nil : values[$0] }
            if let step = steps[index] {
                let start = DispatchTime.now().uptimeNanoseconds
                values[step.binding.output] = try run(step, node: node, arguments)
                layerNanoseconds += DispatchTime.now().uptimeNanoseconds - start
                continue
            }
            let outputs: [Tensor]
            do { outputs = try ReferenceOperators.evaluate(node, arguments, opset: plan.file.opset) } catch let failure as ReferenceOperators.Failure {
                throw FileError(path: plan.file.path, message: "node \"\(node.label(index: index))\" (\(node.opType)): \(failure.message)")
            }
            for (name, value) in zip(node.output, outputs) where !name.isEmpty { values[name] = value }
        }
        let outputs = try plan.file.graph.output.map { output in
            guard let value = values[output.name] else {
                throw FileError(path: plan.file.path, message: "graph output \"\(output.name)\" was not computed")
            }
            return value
        }
        return (outputs, Double(layerNanoseconds) / 1e9)
    }

    private func run(_ step: BoundStep, node: Onnx_NodeProto, _ arguments: [Tensor?]) throws -> Tensor {
        guard let first = arguments.first ?? nil else { throw FileError(path: plan.file.path, message: "layer \(step.binding.name): input missing") }
        var a = step.binding.transposeA ? ReferenceOperators.transpose(first, perm: [1, 0]) : first
        // A 1-D convolution's [N, C, W] input is the [N, C, 1, W] its 2-D kernel reads.
        if step.binding.layer.conv != nil, a.shape.count == 3 { a.shape.insert(1, at: 2) }
        if let padding = step.binding.inputPadding { a = Self.pad(a, padding) }
        switch step.kernel {
        case .layer(let kernel):
            let layer = step.binding.layer
            let shape: [Int]
            if let given = step.binding.outputShape {
                shape = given
            } else if let conv = layer.conv {
                shape = [conv.batch, conv.outChannels, conv.outHeight, conv.outWidth]
            } else if node.opType == "Gemm" {
                shape = [layer.m ?? 0, layer.n ?? 0]
            } else {
                shape = (a.shape.count == 1 ? [] : Array(a.shape.dropLast())) + [layer.n ?? 0]
            }
            // The kernels write every output element: no zero-filling first.
            let count = shape.reduce(1, *)
            let output = a.data.withUnsafeBufferPointer { input in
                [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    kernel.run(input: input.baseAddress!, output: buffer.baseAddress!)
                    initialized = count
                }
            }
            return Tensor(shape: shape, data: output)
        case let .product(kernel, m, n, k):
            guard arguments.count > 1, var b = arguments[1] else { throw FileError(path: plan.file.path, message: "layer \(step.binding.name): B missing") }
            if step.binding.transposeB { b = ReferenceOperators.transpose(b, perm: [1, 0]) }
            let pa = a.shape.count == 1 ? [1] + a.shape : a.shape
            let pb = b.shape.count == 1 ? b.shape + [1] : b.shape
            let batchA = pb.count == 2 ? [] : Array(pa.dropLast(2)), batchB = Array(pb.dropLast(2))
            let batch = try ReferenceOperators.broadcastShape(batchA, batchB)
            let batches = batch.reduce(1, *)
            let output = a.data.withUnsafeBufferPointer { aBuffer in
                b.data.withUnsafeBufferPointer { bBuffer in
                    [Float](unsafeUninitializedCapacity: batches * m * n) { cBuffer, initialized in
                        for index in 0..<batches {
                            let c = ReferenceOperators.coordinates(of: index, in: batch)
                            let aOffset = (batchA.isEmpty ? 0 : ReferenceOperators.broadcastSource(c, from: batchA)) * m * k
                            let bOffset = (batchB.isEmpty ? 0 : ReferenceOperators.broadcastSource(c, from: batchB)) * k * n
                            kernel.run(a: aBuffer.baseAddress! + aOffset, b: bBuffer.baseAddress! + bOffset, c: cBuffer.baseAddress! + index * m * n)
                        }
                        initialized = batches * m * n
                    }
                }
            }
            // One B for all rows: A's leading dimensions were flattened into M.
            let shape = pb.count == 2 ? (a.shape.count == 1 ? [] : Array(a.shape.dropLast())) + [n] : batch + [m, n]
            return Tensor(shape: shape, data: output)
        }
    }

    /// An N x C x H x W tensor with zeros around each plane: [top, left, bottom, right].
    static func pad(_ x: Tensor, _ padding: [Int]) -> Tensor {
        let (top, left, bottom, right) = (padding[0], padding[1], padding[2], padding[3])
        let (planes, height, width) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        let (paddedHeight, paddedWidth) = (height + top + bottom, width + left + right)
        var data = [Float](repeating: 0, count: planes * paddedHeight * paddedWidth)
        for plane in 0..<planes {
            for row in 0..<height {
                let source = (plane * height + row) * width
                let destination = (plane * paddedHeight + row + top) * paddedWidth + left
                data[destination..<destination + width] = x.data[source..<source + width]
            }
        }
        return Tensor(shape: [x.shape[0], x.shape[1], paddedHeight, paddedWidth], data: data)
    }

    /// Relative L2 error of `outputs` against `reference` over all their values, as the
    /// kernels' validation measures it.
    public static func relativeError(_ outputs: [Tensor], against reference: [Tensor]) -> Double {
        var accumulator = ErrorAccumulator()
        for (output, expected) in zip(outputs.flatMap(\.data), reference.flatMap(\.data)) { accumulator.add(output: output, reference: Double(expected)) }
        return accumulator.validation(tolerance: .infinity).relativeError
    }
}
