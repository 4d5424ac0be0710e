import Foundation

/// What happens to each output element after the product: an optional per-column bias and an
/// activation, fused into the kernel's last write of the tile.
public struct Epilogue: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Activation: String, Codable, CaseIterable, Sendable { case none, relu, gelu }

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
        }
    }
}

extension Epilogue {
    /// "none", "bias", "relu", "gelu" joined by "+" (as typed after `--epilogue`).
    public init(parsing text: String) throws {
        self.init()
        for word in text.split(separator: "+").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            switch word {
            case "none", "": break
            case "bias": bias = true
            case "relu": activation = .relu
            case "gelu": activation = .gelu
            default: throw KernelError.invalidConfig("an epilogue is none, bias, relu, gelu joined by +; got \"\(text)\"")
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
