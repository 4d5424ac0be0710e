import ONNXProto

/// Attribute access and naming for a graph node.
extension Onnx_NodeProto {
    /// The node's name, or its operator and position when the exporter left it unnamed.
    public func label(index: Int) -> String { name.isEmpty ? "\(opType)#\(index)" : name }

    /// The operator, with its domain when it is not ONNX's own: "com.example.FancyAttention".
    public var qualifiedOperator: String { domain.isEmpty || domain == "ai.onnx" ? opType : "\(domain).\(opType)" }

    public func attribute(_ name: String) -> Onnx_AttributeProto? { attribute.first { $0.name == name } }

    public func int(_ name: String) -> Int? { attribute(name).map { Int($0.i) } }

    public func ints(_ name: String) -> [Int]? { attribute(name).map { $0.ints.map { Int($0) } } }

    public func float(_ name: String) -> Float? { attribute(name).map(\.f) }

    public func floats(_ name: String) -> [Float]? { attribute(name).map(\.floats) }

    public func string(_ name: String) -> String? { attribute(name).map { String(decoding: $0.s, as: UTF8.self) } }

    /// Input `index`, or nil when it is absent or left empty (an omitted optional input).
    public func input(_ index: Int) -> String? { index < input.count && !input[index].isEmpty ? input[index] : nil }
}
