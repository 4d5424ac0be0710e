import Foundation
import ONNXProto

// Element-wise operators beyond the common activations, as torch.onnx and tf2onnx emit them:
// rotary embeddings (Sin, Cos), masks made safe for fully masked rows (IsNaN → Where), index
// arithmetic (Mod, Floor, Sign) and the rarer activations (Elu, Softplus, Mish, PRelu …).
// Definitions from the operator reference at onnx.ai.
extension ReferenceOperators {
    static let mathOperators: Set<String> = [
        "IsNaN", "IsInf", "Sin", "Cos", "Tan", "Atan", "Floor", "Ceil", "Round", "Sign", "Elu", "Selu", "Celu", "Softplus", "Softsign",
        "Mish", "ThresholdedRelu", "Mod", "PRelu", "Mean", "CastLike", "Size",
    ]

    static func math(_ node: Onnx_NodeProto, _ inputs: [Tensor?]) throws -> Tensor {
        guard let x = inputs.first ?? nil else { throw Failure(message: "input 0 is missing") }
        switch node.opType {
        case "IsNaN":
            return Tensor(shape: x.shape, ints: x.data.map { $0.isNaN ? 1 : 0 })
        case "IsInf":
            let (negative, positive) = (node.int("detect_negative") ?? 1 == 1, node.int("detect_positive") ?? 1 == 1)
            return Tensor(shape: x.shape, ints: x.data.map { $0.isInfinite && ($0 < 0 ? negative : positive) ? 1 : 0 })
        case let op where elementwise(node) != nil:
            var result = Tensor(shape: x.shape, data: x.data.map(elementwise(node)!))
            // Integer operands stay integers where the function keeps them integral.
            if x.ints != nil, ["Sign", "Floor", "Ceil", "Round"].contains(op) { result.ints = result.data.map { Int64($0) } }
            return result
        case "Mod":
            let divisor = try operand(inputs, 1)
            return try modulo(x, divisor, fmod: node.int("fmod") ?? 0 == 1)
        case "PRelu":
            let slope = try operand(inputs, 1)
            let shape = try broadcastShape(x.shape, slope.shape)
            guard shape == x.shape else { throw Failure(message: "PRelu slope \(slope.shape) does not broadcast to the input \(x.shape)") }
            let offsets = broadcastOffsets(slope.shape, to: shape)
            return Tensor(shape: shape, data: x.data.indices.map { x.data[$0] < 0 ? slope.data[offsets[$0]] * x.data[$0] : x.data[$0] })
        case "Mean":
            let parts = inputs.compactMap { $0 }
            var total = parts[0]
            for part in parts.dropFirst() { total = try broadcastBinary(total, part, op: "Add") }
            return Tensor(shape: total.shape, data: total.data.map { $0 / Float(parts.count) })
        case "CastLike":
            // The second input's kind of number: integer when it holds integers.
            let target = try operand(inputs, 1)
            return cast(x, to: target.ints == nil ? Int(Onnx_TensorProto.DataType.float.rawValue) : Int(Onnx_TensorProto.DataType.int64.rawValue))
        case "Size":
            return Tensor(shape: [], ints: [Int64(x.count)])
        default:
            throw Failure(message: "operator \(node.opType) is not an element-wise operator")
        }
    }

    /// The element-wise function of a one-input operator here with its attributes read, for the
    /// reference path and the compiled model alike; nil for other operators.
    package static func elementwise(_ node: Onnx_NodeProto) -> ((Float) -> Float)? {
        switch node.opType {
        case "Sin": return { sin($0) }
        case "Cos": return { cos($0) }
        case "Tan": return { tan($0) }
        case "Atan": return { atan($0) }
        case "Floor": return { $0.rounded(.down) }
        case "Ceil": return { $0.rounded(.up) }
        case "Round": return { $0.rounded(.toNearestOrEven) }
        case "Sign": return { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 }
        case "Elu":
            let alpha = node.float("alpha") ?? 1
            return { $0 < 0 ? alpha * (exp($0) - 1) : $0 }
        case "Selu":
            let alpha = node.float("alpha") ?? 1.673_263_2, gamma = node.float("gamma") ?? 1.050_701
            return { gamma * ($0 <= 0 ? alpha * (exp($0) - 1) : $0) }
        case "Celu":
            let alpha = node.float("alpha") ?? 1
            return { max(0, $0) + min(0, alpha * (exp($0 / alpha) - 1)) }
        case "Softplus": return { softplus($0) }
        case "Softsign": return { $0 / (1 + abs($0)) }
        case "Mish": return { $0 * tanh(softplus($0)) }
        case "ThresholdedRelu":
            let alpha = node.float("alpha") ?? 1
            return { $0 > alpha ? $0 : 0 }
        default: return nil
        }
    }

    private static func operand(_ inputs: [Tensor?], _ index: Int) throws -> Tensor {
        guard index < inputs.count, let value = inputs[index] else { throw Failure(message: "input \(index) is missing") }
        return value
    }

    /// log(1 + eˣ) without overflow for large x.
    static func softplus(_ x: Float) -> Float { x > 20 ? x : log1p(exp(x)) }

    /// Mod: integers by the sign of the divisor (Python's %), unless fmod = 1, which takes the
    /// sign of the dividend (C's fmod) and is the only mode for floats.
    static func modulo(_ a: Tensor, _ b: Tensor, fmod: Bool) throws -> Tensor {
        let shape = try broadcastShape(a.shape, b.shape)
        let pairs = try broadcastIndices(shape, a.shape, b.shape)
        if let x = a.ints, let y = b.ints {
            return Tensor(shape: shape, ints: pairs.map { i, j in
                let (p, q) = (x[i], y[j])
                guard q != 0 else { return 0 }
                let remainder = p.remainderReportingOverflow(dividingBy: q).partialValue // Int64.min % -1
                return !fmod && remainder != 0 && (remainder < 0) != (q < 0) ? remainder + q : remainder
            })
        }
        guard fmod else { throw Failure(message: "Mod of floating-point values needs fmod = 1") }
        return Tensor(shape: shape, data: pairs.map { i, j in Foundation.fmod(a.data[i], b.data[j]) })
    }
}
