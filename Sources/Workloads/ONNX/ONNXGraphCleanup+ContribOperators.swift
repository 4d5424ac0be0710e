import ONNXProto

/// Operators onnxruntime's transformer optimizer (`onnxruntime.transformers.optimizer`, and
/// Optimum's `--optimize` through it) fuses graphs into, read as the standard operators they
/// compute, so that an "optimized" model imports as the graph it was made from (and the
/// import fuses bias and activation into the layers again):
/// - com.microsoft `Gelu(x)` → `Gelu`; `BiasGelu(x, b)` → `Add`, `Gelu`; `FastGelu(x, b?)` →
///   (`Add`,) `Gelu(approximate="tanh")`;
/// - com.microsoft `SkipLayerNormalization(x, skip, γ, β?, bias?)` → `Add`s and
///   `LayerNormalization`; its fourth output (the sum, which the next one reads) is that `Add`;
/// - com.microsoft `SkipSimplifiedLayerNormalization(x, skip, γ, bias?)` → `Add`s and
///   `RMSNormalization`;
/// - `SimplifiedLayerNormalization(x, γ)` (onnxruntime's, in the default domain) →
///   `RMSNormalization`.
/// A node whose mean or inverse standard deviation output is read (training) stays as it is.
/// (Attention and EmbedLayerNormalization: `ONNXGraphCleanup+ContribAttention.swift`.)
/// Definitions from onnxruntime's contrib operator documentation (docs/ContribOperators.md).
extension ONNXGraphCleanup {
    /// Names no value of the graph has yet.
    final class FreshNames {
        private var taken: Set<String>
        init(taken: Set<String>) { self.taken = taken }

        func make(_ base: String) -> String {
            var name = base
            var counter = 1
            while taken.contains(name) { counter += 1; name = "\(base).\(counter)" }
            taken.insert(name)
            return name
        }
    }

    mutating func readContribOperators() {
        let read = Set(nodes.flatMap(\.input)).union(graphOutputs)
        let names = FreshNames(taken: Set(nodes.flatMap(\.output)).union(initializers.keys).union(file.graph.input.map(\.name)))
        var rewritten: [Onnx_NodeProto] = []
        var count = 0
        for node in nodes {
            guard let replacement = standardAttention(of: node, isRead: read.contains, fresh: names.make)
                    ?? Self.standardForm(of: node, isRead: read.contains, fresh: names.make) else {
                rewritten.append(node)
                continue
            }
            rewritten += replacement
            count += 1
        }
        guard count > 0 else { return }
        nodes = rewritten
        report.contribOperatorsRead = count
    }

    private static func standardForm(of node: Onnx_NodeProto, isRead: (String) -> Bool, fresh: (String) -> String) -> [Onnx_NodeProto]? {
        let microsoft = node.domain == "com.microsoft"
        func make(_ op: String, _ inputs: [String], _ output: String, _ attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
            var made = Onnx_NodeProto()
            made.opType = op
            // The node that gives the fused node's output keeps its name (reports show it); the
            // ones before it are named by what they write, so that names stay unique.
            made.name = node.name.isEmpty ? output : output == node.output[0] ? node.name : "\(node.name)/\(op)(\(output))"
            made.input = inputs
            made.output = [output]
            made.attribute = attributes
            return made
        }
        let tanh = Onnx_AttributeProto.string("approximate", "tanh")
        guard let x = node.input(0), let output = node.output.first, !output.isEmpty else { return nil }
        switch (microsoft, node.opType) {
        case (true, "Gelu"):
            return [make("Gelu", [x], output)]
        case (true, "BiasGelu"), (true, "FastGelu"):
            let exact = node.opType == "BiasGelu"
            guard let bias = node.input(1) else { return exact ? nil : [make("Gelu", [x], output, [tanh])] }
            let sum = fresh("\(output).biased")
            return [make("Add", [x, bias], sum), make("Gelu", [sum], output, exact ? [] : [tanh])]
        case (true, "SkipLayerNormalization"), (true, "SkipSimplifiedLayerNormalization"):
            let simplified = node.opType == "SkipSimplifiedLayerNormalization"
            // Inputs: x, skip, γ, then β (not in the simplified form) and the bias.
            guard let skip = node.input(1), let gamma = node.input(2) else { return nil }
            let (beta, bias) = simplified ? (nil, node.input(3)) : (node.input(3), node.input(4))
            // Outputs: the normalized value, the mean and inverse deviation (training), the sum.
            guard !node.output.dropFirst().prefix(2).contains(where: { !$0.isEmpty && isRead($0) }) else { return nil }
            let summed = node.output.count > 3 && !node.output[3].isEmpty ? node.output[3] : fresh("\(output).sum")
            var steps: [Onnx_NodeProto] = []
            if let bias {
                let partial = fresh("\(output).skipped")
                steps += [make("Add", [x, skip], partial), make("Add", [partial, bias], summed)]
            } else {
                steps.append(make("Add", [x, skip], summed))
            }
            let epsilon = node.float("epsilon") ?? 1e-12
            let normalize = simplified ? make("RMSNormalization", [summed, gamma], output, [.float("epsilon", epsilon)])
                : make("LayerNormalization", [summed, gamma] + (beta.map { [$0] } ?? []), output, [.float("epsilon", epsilon)])
            return steps + [normalize]
        case (false, "SimplifiedLayerNormalization"):
            guard let gamma = node.input(1), !node.output.dropFirst().contains(where: { !$0.isEmpty && isRead($0) }) else { return nil }
            return [make("RMSNormalization", [x, gamma], output, [.int("axis", node.int("axis") ?? -1), .float("epsilon", node.float("epsilon") ?? 1e-5)])]
        default:
            return nil
        }
    }
}
