import Foundation
import ONNXProto
import SwiftProtobuf
import TunebenchCore

/// An ONNX model file, parsed and checked: the graph, its initializers by name, and where
/// external tensor data lives. Every error names the file.
public struct ONNXFile: Sendable {
    public let path: String
    public let model: Onnx_ModelProto
    let initializers: [String: Onnx_TensorProto]
    /// What the clean-up before import changed (ONNXGraphCleanup); empty when it was not run.
    let cleanup: ONNXGraphCleanup.Report

    public var graph: Onnx_GraphProto { model.graph }

    /// The default-domain opset the model was exported for (0 if it declares none).
    public var opset: Int {
        Int(model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 0)
    }

    /// - Parameter cleanUp: fold constants, remove pass-through nodes and fold normalizations
    ///   first (ONNXGraphCleanup); false reads the graph exactly as written.
    public static func load(path: String, cleanUp: Bool = true) throws -> ONNXFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FileError(path: path, message: "cannot be read (\(error.localizedDescription))")
        }
        guard !data.isEmpty else { throw FileError(path: path, message: "is empty, not an ONNX model") }
        let model: Onnx_ModelProto
        do { model = try Onnx_ModelProto(serializedBytes: data) } catch {
            throw FileError(path: path, message: "is not a valid ONNX model: \(Self.explain(error))")
        }
        // Protobuf accepts many byte strings as some message: check that this one is a model.
        guard model.irVersion > 0, model.hasGraph, !model.graph.node.isEmpty else {
            throw FileError(path: path, message: "is not an ONNX model (no IR version or no graph with nodes)")
        }
        guard !model.opsetImport.isEmpty else {
            throw FileError(path: path, message: "declares no opset (opset_import is empty): truncated, or not an ONNX model")
        }
        try checkDefinitions(model.graph, path: path)
        let file = ONNXFile(path: path, model: model)
        guard cleanUp else { return file }
        let (cleaned, report) = try ONNXGraphCleanup.apply(to: file)
        return ONNXFile(path: path, model: cleaned, cleanup: report)
    }

    private init(path: String, model: Onnx_ModelProto, cleanup: ONNXGraphCleanup.Report = .init()) {
        self.path = path
        self.model = model
        self.cleanup = cleanup
        var initializers: [String: Onnx_TensorProto] = [:]
        for tensor in model.graph.initializer { initializers[tensor.name] = tensor }
        self.initializers = initializers
    }

    /// ONNX graphs assign each value once: a name declared twice as a graph input, written by two
    /// nodes (or by a node and as an input) or listed twice as an output is refused here, naming
    /// both places, instead of trapping later in a table keyed by value names.
    static func checkDefinitions(_ graph: Onnx_GraphProto, path: String) throws {
        var defined: [String: String] = [:]
        for input in graph.input {
            if defined[input.name] != nil { throw FileError(path: path, message: "graph input \"\(input.name)\" is declared twice: not a valid ONNX graph") }
            defined[input.name] = "a graph input"
        }
        for (index, node) in graph.node.enumerated() {
            for name in node.output where !name.isEmpty {
                let place = "node \"\(node.label(index: index))\""
                if let earlier = defined[name] {
                    throw FileError(path: path, message: "value \"\(name)\" is defined twice (by \(earlier) and by \(place)): not a valid ONNX graph")
                }
                defined[name] = place
            }
        }
        var outputs: Set<String> = []
        for output in graph.output where !outputs.insert(output.name).inserted {
            throw FileError(path: path, message: "graph output \"\(output.name)\" is listed twice: not a valid ONNX graph")
        }
    }

    static func explain(_ error: Error) -> String {
        switch error as? BinaryDecodingError {
        case .truncated?: "the file is truncated (its data ends inside a field)"
        case .malformedProtobuf?: "malformed protobuf data"
        case .invalidUTF8?: "a text field is not valid UTF-8"
        case .messageDepthLimit?: "messages nested too deeply"
        default: "\(error)"
        }
    }

    public func isInitializer(_ name: String) -> Bool { initializers[name] != nil }

    /// An initializer's values, decoded from whichever field or external file holds them.
    public func tensor(_ name: String) throws -> ONNXTensor? {
        guard let proto = initializers[name] else { return nil }
        return try ONNXTensor(proto, file: self)
    }
}
