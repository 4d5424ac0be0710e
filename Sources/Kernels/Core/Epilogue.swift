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

    /// GELU, tanh form (as in GPT-2 and most inference engines).
    @inline(__always)
    public static func gelu(_ x: Float) -> Float {
        0.5 * x * (1 + fastTanh(0.797_884_56 * (x + 0.044_715 * x * x * x)))
    }

    /// tanh as a rational function (Eigen's float `ptanh`: degree 13 over degree 6 in x,
    /// clamped where tanh rounds to ±1), within a few ulp of `tanhf`. It has no call and no
    /// branch, so the epilogue loop vectorizes; `tanhf` is a library call per element
    /// (measured effect on a GELU-fused GEMM: results/gelu-epilogue-*.md).
    @inline(__always)
    public static func fastTanh(_ value: Float) -> Float {
        let x = Swift.min(Swift.max(value, -7.905_311_1), 7.905_311_1)
        let x2 = x * x
        var p: Float = -2.760_768_5e-16
        p = p * x2 + 2.000_187_9e-13
        p = p * x2 - 8.604_671_5e-11
        p = p * x2 + 5.122_297_1e-08
        p = p * x2 + 1.485_722_4e-05
        p = p * x2 + 6.372_619_3e-04
        p = p * x2 + 4.893_524_6e-03
        var q: Float = 1.198_258_4e-06
        q = q * x2 + 1.185_347_1e-04
        q = q * x2 + 2.268_434_6e-03
        q = q * x2 + 4.893_525_2e-03
        return x * p / q
    }

    /// The activation in double precision, for the references kernels are checked against.
    public func activate(_ x: Double) -> Double {
        switch activation {
        case .none: x
        case .relu: max(x, 0)
        case .gelu: 0.5 * x * (1 + tanh(0.797_884_560_802_865_4 * (x + 0.044_715 * x * x * x)))
        }
    }

    /// Applies the epilogue to columns `columns` of every row of a rows x ldc output.
    func applyColumns(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Range<Int>, bias values: UnsafePointer<Float>?) {
        guard self != .none else { return }
        apply(c + columns.lowerBound, ldc: ldc, rows: rows, cols: columns.count, column: columns.lowerBound, bias: values)
    }

    /// Applies the epilogue to a rows x cols tile of C whose first column is `column`.
    func apply(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, column: Int, bias values: UnsafePointer<Float>?) {
        for row in 0..<rows {
            let line = c + row * ldc
            if bias, let values {
                for j in 0..<cols { line[j] += values[column + j] }
            }
            switch activation {
            case .none: break
            case .relu: for j in 0..<cols { line[j] = max(line[j], 0) }
            case .gelu: for j in 0..<cols { line[j] = Self.gelu(line[j]) }
            }
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
