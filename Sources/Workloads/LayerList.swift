import KernelModel
import TunebenchCore

/// The layer-list format (docs/workloads.md): a JSON object with an optional "name" and a
/// "layers" list; each entry has "op" ("gemm" or "matmul" with "m", "n", "k", or "conv2d" with "shape"
/// "N,C,H,W,K,R,S[,stride[,pad[,dilation]]]"), and optionally "name", "epilogue"
/// ("bias+relu" …) and "count" (executions per forward pass, default 1). Entries with another
/// op are listed as unsupported and skipped.
public enum LayerList {
    public static func load(path: String) throws -> Workload {
        let fields = try JSONFields.load(path: path)
        var instances: [Workload.Instance] = []
        var unsupported: [String] = []
        for (index, entry) in try fields.objects("layers").enumerated() {
            let op = try entry.string("op")
            let name = try entry.optionalString("name") ?? "layers[\(index)]"
            let epilogue: Epilogue
            do { epilogue = try Epilogue(parsing: try entry.optionalString("epilogue") ?? "none") } catch let error as KernelError {
                throw FileError(path: path, message: "field \(entry.name("epilogue")): \(error.message)")
            }
            let count = try entry.optionalPositiveInt("count") ?? 1
            switch op {
            case "gemm", "matmul":
                let (m, n, k) = (try entry.positiveInt("m"), try entry.positiveInt("n"), try entry.positiveInt("k"))
                let layer = op == "gemm" ? Layer.gemm(m: m, n: n, k: k, epilogue: epilogue) : Layer.matmul(m: m, n: n, k: k, epilogue: epilogue)
                instances.append(.init(name: name, layer: layer, count: count))
            case "conv2d":
                let shape: Conv2DShape
                do { shape = try Conv2DShape(parsing: try entry.string("shape")) } catch let error as KernelError {
                    throw FileError(path: path, message: "field \(entry.name("shape")): \(error.message)")
                }
                instances.append(.init(name: name, layer: .conv2d(shape, epilogue: epilogue), count: count))
            default:
                unsupported.append("\(name): op \"\(op)\" (supported: gemm, matmul, conv2d)")
            }
        }
        guard !instances.isEmpty else { throw FileError(path: path, message: "has no gemm, matmul or conv2d layer to tune") }
        return Workload(name: try fields.optionalString("name") ?? "layer list", source: path, instances: instances, unsupported: unsupported)
    }
}
