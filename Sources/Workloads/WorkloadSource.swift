import KernelModel
import TunebenchCore

/// Where `autotune` (and `compare`) take a workload from: an ONNX model with its symbolic
/// dimensions bound, a Hugging Face config.json at some token counts, a layer list, or the
/// bundled example.
public enum WorkloadSource: Sendable, Equatable {
    case onnx(path: String, dimensions: [String: [Int]])
    case huggingFace(path: String, tokens: [Int])
    case layerList(path: String)

    /// The layer list the main job tunes when no workload is given.
    public static let bundledExample = WorkloadSource.layerList(path: "examples/example-layers.json")

    /// The one source the options name (at most one of them), else the bundled example.
    public static func from(model: String?, dimensions: [String: [Int]], hfConfig: String?, tokens: [Int], layers: String?) throws -> WorkloadSource {
        guard [model, hfConfig, layers].compactMap({ $0 }).count <= 1 else { throw OptionError("give one of --model, --hf-config, --layers") }
        guard dimensions.isEmpty || model != nil else { throw OptionError("--dim binds the dimensions of an ONNX --model") }
        if let model { return .onnx(path: model, dimensions: dimensions) }
        if let hfConfig {
            guard !tokens.isEmpty, tokens.allSatisfy({ $0 > 0 }) else { throw OptionError("--tokens takes positive counts, e.g. 1,32") }
            return .huggingFace(path: hfConfig, tokens: tokens)
        }
        return layers.map { .layerList(path: $0) } ?? bundledExample
    }

    /// The graphs the model-level accuracy check runs: one per binding of an ONNX model's
    /// dimensions; none for the sources without a graph.
    public func graphs() throws -> [ONNXPlan] {
        guard case .onnx(let path, let dimensions) = self else { return [] }
        return try ONNXImport.plans(path: path, dimensions: dimensions)
    }

    public func load() throws -> Workload {
        let (workload, path) = switch self {
        case .onnx(let path, let dimensions): (try ONNXImport.load(path: path, dimensions: dimensions), path)
        case .huggingFace(let path, let tokens): (try HuggingFaceConfig.load(path: path, tokens: tokens), path)
        case .layerList(let path): (try LayerList.load(path: path), path)
        }
        // Every layer within this machine's memory before any tuner allocates its operands.
        for instance in workload.instances {
            do { try instance.layer.checkFits() } catch let error as KernelError {
                throw FileError(path: path, message: "layer \"\(instance.name)\": \(error.message)")
            }
        }
        return workload
    }
}
