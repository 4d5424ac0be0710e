import Foundation

/// What happens to each output element after the product: an optional per-column bias and an
/// activation, fused into the kernel's last write of the tile.
public struct Epilogue: Codable, Hashable, Sendable, CustomStringConvertible {
    /// gelu is the tanh form (GPT-2's gelu_new), geluErf the exact one (BERT's gelu, ONNX
    /// Gelu without approximate), relu6 min(max(x, 0), 6) (MobileNet's Clip).
    public enum Activation: String, Codable, CaseIterable, Sendable {
        case none, relu, gelu, relu6
        case geluErf = "gelu_erf"
    }

    public var bias: Bool
    public var activation: Activation

    public init(bias: Bool = false, activation: Activation = .none) {
        self.bias = bias
        self.activation = activation
    }

    public static let none = Epilogue()

    public var description: String {
        ([bias ? "bias" : nil, activation == .none ? nil : activation.rawValue]).compactMap { $0 }.joined(separator: " ")
    }

    /// The activation in double precision, for the references kernels are checked against.
    public func activate(_ x: Double) -> Double {
        switch activation {
        case .none: x
        case .relu: max(x, 0)
        case .gelu: 0.5 * x * (1 + tanh(0.797_884_560_802_865_4 * (x + 0.044_715 * x * x * x)))
        case .geluErf: 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .relu6: min(max(x, 0), 6)
        }
    }
}

extension Epilogue {
    /// "none", "bias" and an activation (relu, relu6, gelu, gelu_erf) joined by "+" (as typed
    /// after `--epilogue`).
    public init(parsing text: String) throws {
        self.init()
        for word in text.split(separator: "+").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            switch word {
            case "none", "": break
            case "bias": bias = true
            case let name where Activation(rawValue: name) != nil: activation = Activation(rawValue: name)!
            default: throw KernelError.invalidConfig("an epilogue is none, bias, relu, relu6, gelu, gelu_erf joined by +; got \"\(text)\"")
            }
        }
    }

    /// The text `init(parsing:)` reads back.
    public var argument: String {
        [bias ? "bias" : nil, activation == .none ? nil : activation.rawValue].compactMap { $0 }.joined(separator: "+").ifEmpty("none")
    }
}

extension String {
    fileprivate func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
