import ONNXProto

/// Attribute access and naming for a graph node.
extension Onnx_NodeProto {
    /// The node's name, or its operator and position when the exporter left it unnamed.
    func label(index: Int) -> String { name.isEmpty ? "\(opType)#\(index)" : name }

    /// The operator, with its domain when it is not ONNX's own: "com.example.FancyAttention".
    var qualifiedOperator: String { domain.isEmpty || domain == "ai.onnx" ? opType : "\(domain).\(opType)" }

    func attribute(_ name: String) -> Onnx_AttributeProto? { attribute.first { $0.name == name } }

    func int(_ name: String) -> Int? { attribute(name).map { Int($0.i) } }

    func ints(_ name: String) -> [Int]? { attribute(name).map { $0.ints.map { Int($0) } } }

    func float(_ name: String) -> Float? { attribute(name).map(\.f) }

    func string(_ name: String) -> String? { attribute(name).map { String(decoding: $0.s, as: UTF8.self) } }

    /// Input `index`, or nil when it is absent or left empty (an omitted optional input).
    func input(_ index: Int) -> String? { index < input.count && !input[index].isEmpty ? input[index] : nil }
}
