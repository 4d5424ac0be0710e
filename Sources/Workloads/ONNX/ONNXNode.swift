import Foundation
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

/// Attributes for the nodes the clean-up writes.
extension Onnx_AttributeProto {
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        .with { $0.name = name; $0.type = .int; $0.i = Int64(value) }
    }

    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        .with { $0.name = name; $0.type = .ints; $0.ints = values.map(Int64.init) }
    }

    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        .with { $0.name = name; $0.type = .float; $0.f = value }
    }

    static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        .with { $0.name = name; $0.type = .string; $0.s = Data(value.utf8) }
    }
}
